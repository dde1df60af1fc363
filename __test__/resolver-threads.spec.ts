/**
 * The resolver threads' limit (native.resolverThreadsMax(), 128): idle threads make way for a new view, so
 * lookups, ns.connect by name and etcDir changes in ever more views keep working; a lookup that
 * cannot get a thread at all fails as dns.lookup fails. Its own file: the threads are
 * process-wide, and these tests fill the pool.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { join } from 'node:path';
import test from 'ava';

import { createNetNS, type NetNS } from '../dist';
import { native } from '../dist/lib/native';
import { checkNoThreadLeftBehind, resolverThreadsEnded } from './helpers/kernel';

const LIMIT = native.resolverThreadsMax();

function namespaces(t: { teardown: (f: () => void) => void }, n: number): NetNS[] {
  const all = Array.from({ length: n }, () => createNetNS());
  t.teardown(() => all.forEach((ns) => ns.close()));
  return all;
}

/**
 * Leaves every resolver thread of the process idle in a view of its own: one lookup in each of
 * LIMIT namespaces at once. Retried if the machine was so slow that some idled out before the
 * count was read (they end after 2 s without work).
 */
async function fillWithIdleThreads(t: { teardown: (f: () => void) => void; is: (a: unknown, b: unknown, m?: string) => void }): Promise<void> {
  const all = namespaces(t, LIMIT);
  for (let i = 0; i < 3; i += 1) {
    await Promise.all(all.map((ns) => ns.promises.lookup('localhost', 4)));
    if (native.resolverThreads() === LIMIT) return;
  }
  t.is(native.resolverThreads(), LIMIT, 'the pool was never full');
}

test.serial('with every resolver thread idle in a view of its own, a lookup in one more namespace gets a thread', async (t) => {
  await resolverThreadsEnded();
  await fillWithIdleThreads(t);
  const [extra] = namespaces(t, 1);
  t.deepEqual(await extra.promises.lookup('localhost', 4), { address: '127.0.0.1', family: 4 });
  t.true(native.resolverThreads() <= LIMIT);
});

test.serial('with every resolver thread idle in a view of its own, ns.connect by name connects', async (t) => {
  await resolverThreadsEnded();
  await fillWithIdleThreads(t);
  const [extra] = namespaces(t, 1);
  extra.setLinkUp('lo');
  const server = extra.listen(net.createServer((s) => s.end('hi')), { host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  const got = await new Promise<string>((resolve, reject) => {
    const socket = extra.connect({ host: 'localhost', port, family: 4 });
    let text = '';
    socket.on('data', (d) => (text += d));
    socket.on('end', () => resolve(text));
    socket.on('error', reject);
  });
  t.is(got, 'hi');
});

test.serial('changing etcDir past the thread limit, one view each, never runs out of threads', async (t) => {
  await resolverThreadsEnded();
  const base = mkdtempSync('/tmp/netns-etcdirs-');
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  const [ns] = namespaces(t, 1);
  for (let i = 0; i < LIMIT + 16; i += 1) {
    const dir = join(base, String(i));
    mkdirSync(dir);
    writeFileSync(join(dir, 'hosts'), `10.9.${i}.1 who.test\n`);
    ns.etcDir = dir;
    t.is((await ns.promises.lookup('who.test')).address, `10.9.${i}.1`);
  }
  t.true(native.resolverThreads() <= LIMIT);
});

test('a lookup that cannot get a resolver thread fails as dns.lookup fails (code, errno, syscall, hostname)', (t) => {
  const out = execFileSync(process.execPath, [join(__dirname, 'fixtures', 'lookup-nofile.js')], { encoding: 'utf8', timeout: 60_000 });
  t.deepEqual(JSON.parse(out), { name: 'Error', code: 'EMFILE', errno: -24, syscall: 'getaddrinfo', hostname: 'adv-name.test' });
});

checkNoThreadLeftBehind(test);
