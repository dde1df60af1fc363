/**
 * ns.lookup(): names resolve inside the namespace with its /etc/netns/<name> files, as under
 * `ip netns exec`, on a native thread of the package; no Node or pool thread changes namespace.
 */
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import test from 'ava';

import { createNetNS, getNSFromName, type NetNS } from '../dist';
import { native } from '../dist/lib/native';
import { makeEtcNS, startZone } from './helpers/etcns';
import { checkNoThreadLeftBehind, makeNamedNS, openFdCount, resolverThreadsEnded } from './helpers/kernel';

const mountNs = (tid: string | number) => readlinkSync(`/proc/self/task/${tid}/ns/mnt`);
const netNs = (tid: string | number) => readlinkSync(`/proc/self/task/${tid}/ns/net`);
const originalMnt = mountNs(process.pid);
const originalNet = netNs(process.pid);

/** Every thread of the process that is not a resolver thread of the package. */
function nodeThreads(): string[] {
  return readdirSync('/proc/self/task').filter((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() !== 'netns-resolver';
    } catch {
      return false;
    }
  });
}

/** Node's and libuv's threads are all where they started: network and mount namespace. */
function assertNodeThreadsHome(t: { deepEqual: (a: unknown, b: unknown, m?: string) => void }): void {
  const strays = nodeThreads().filter((tid) => {
    try {
      return netNs(tid) !== originalNet || mountNs(tid) !== originalMnt;
    } catch {
      return false;
    }
  });
  t.deepEqual(strays, [], 'Node or libuv threads in another network or mount namespace');
}

function open(t: { teardown: (f: () => void) => void }, name: string): NetNS {
  const ns = getNSFromName(name);
  t.teardown(() => ns.close());
  return ns;
}

test.serial('a name only the namespace\'s hosts file knows: callback, all, promise; the host does not see it', async (t) => {
  const name = makeEtcNS(t, { hosts: '10.44.0.9 only-in-ns\nfd00::9 only-in-ns\n' });
  const ns = open(t, name);
  t.is(ns.name, name);
  t.is(ns.etcDir, `/etc/netns/${name}`);
  const one = await new Promise<[unknown, unknown, unknown]>((resolve) => ns.lookup('only-in-ns', { family: 4 }, (e, a, f) => resolve([e, a, f])));
  t.deepEqual(one, [null, '10.44.0.9', 4]);
  const all = await new Promise((resolve, reject) => ns.lookup('only-in-ns', { all: true, order: 'ipv6first' }, (e, a) => (e ? reject(e) : resolve(a))));
  t.deepEqual(all, [{ address: 'fd00::9', family: 6 }, { address: '10.44.0.9', family: 4 }]);
  t.deepEqual(await ns.promises.lookup('only-in-ns', 6), { address: 'fd00::9', family: 6 });
  t.deepEqual(await ns.promises.lookup('only-in-ns', { all: true, order: 'ipv4first' }), [
    { address: '10.44.0.9', family: 4 },
    { address: 'fd00::9', family: 6 },
  ]);
  const host = await dns.promises.lookup('only-in-ns').catch((e: NodeJS.ErrnoException) => e.code);
  t.true(host === 'ENOTFOUND' || host === 'EAI_AGAIN', `the host resolved it: ${JSON.stringify(host)}`);
  assertNodeThreadsHome(t);
});

test.serial('a real DNS server inside the namespace answers; unknown names are ENOTFOUND as dns.lookup gives it', async (t) => {
  const name = makeEtcNS(t, { 'resolv.conf': 'nameserver 127.0.0.1\n' });
  await startZone(t, name, { 'svc.test': { A: ['10.55.0.7'] } });
  const ns = open(t, name);
  // A listener at the same address on the host's side: a query that left from the host's
  // namespace would reach it instead.
  const hostSide = dgram.createSocket('udp4');
  t.teardown(() => hostSide.close());
  let hostQueries = 0;
  hostSide.on('message', () => (hostQueries += 1));
  await new Promise<void>((resolve, reject) => {
    hostSide.once('error', reject);
    hostSide.bind(53, '127.0.0.1', resolve);
  });
  t.deepEqual(await ns.promises.lookup('svc.test', 4), { address: '10.55.0.7', family: 4 });
  const err = await t.throwsAsync(ns.promises.lookup('nothing.test', 4));
  t.like(err as unknown as Record<string, unknown>, { code: 'ENOTFOUND', errno: -3008, syscall: 'getaddrinfo', hostname: 'nothing.test' });
  const viaCallback = await new Promise<NodeJS.ErrnoException | null>((resolve) => ns.lookup('nothing.test', 4, (e) => resolve(e)));
  t.like(viaCallback as unknown as Record<string, unknown>, { code: 'ENOTFOUND', syscall: 'getaddrinfo' });
  t.is(hostQueries, 0, 'a query reached the host namespace');
  // The host's own resolver cannot reach that server: it never gets the namespace's answer.
  const host = await dns.promises.lookup('svc.test', 4).then((a) => a.address, (e: NodeJS.ErrnoException) => e.code);
  t.not(host, '10.55.0.7');
  assertNodeThreadsHome(t);
});

test.serial('addresses and empty names are answered as dns.lookup answers them', async (t) => {
  using ns = createNetNS();
  t.is(ns.name, undefined);
  t.is(ns.etcDir, undefined);
  t.deepEqual(await ns.promises.lookup('10.1.2.3'), { address: '10.1.2.3', family: 4 });
  t.deepEqual(await ns.promises.lookup('::1', { all: true }), [{ address: '::1', family: 6 }]);
  const empty = await new Promise((resolve) => ns.lookup('', { all: true }, (e, a) => resolve([e, a])));
  t.deepEqual(empty, [null, []]);
});

test.serial('etcDir gives any handle a directory of files over /etc', async (t) => {
  const name = makeEtcNS(t, { hosts: '10.44.1.1 from-etcdir\n' });
  using anon = createNetNS();
  anon.etcDir = `/etc/netns/${name}`;
  t.deepEqual(await anon.promises.lookup('from-etcdir'), { address: '10.44.1.1', family: 4 });
  t.throws(() => (anon.etcDir = ''), { code: 'ERR_INVALID_ARG_VALUE' });
});

test.serial('a file replaced in /etc/netns/<name> is seen by the next lookup', async (t) => {
  const name = makeEtcNS(t, { hosts: '10.44.2.1 moving\n' });
  const ns = open(t, name);
  t.is((await ns.promises.lookup('moving')).address, '10.44.2.1');
  const { writeFileSync, renameSync } = await import('node:fs');
  writeFileSync(`/etc/netns/${name}/hosts.new`, '10.44.2.2 moving\n');
  renameSync(`/etc/netns/${name}/hosts.new`, `/etc/netns/${name}/hosts`);
  t.is((await ns.promises.lookup('moving')).address, '10.44.2.2');
});

test.serial('the host\'s /etc/hosts replaced by a rename under a view: the next lookups still read the namespace\'s file', (t) => {
  // In a child with a private mount namespace and a scratch /etc: the machine's files never change.
  const { path } = makeNamedNS(t, 'etr');
  const base = mkdtempSync('/tmp/netns-etc-rename-');
  t.teardown(() => rmSync(base, { recursive: true, force: true }));
  mkdirSync(join(base, 'etc'));
  mkdirSync(join(base, 'ns'));
  for (const file of ['nsswitch.conf', 'host.conf', 'gai.conf']) {
    if (existsSync(`/etc/${file}`)) copyFileSync(`/etc/${file}`, join(base, 'etc', file));
  }
  writeFileSync(join(base, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  writeFileSync(join(base, 'ns', 'hosts'), '10.1.1.1 adv-name\n');
  const fixture = join(__dirname, 'fixtures', 'etc-rename.js');
  const out = execFileSync('unshare', ['--mount', '--propagation', 'private', process.execPath, fixture, base, path], { encoding: 'utf8', timeout: 60_000 });
  t.deepEqual(JSON.parse(out), ['10.1.1.1', '10.1.1.1', '10.1.1.1', '10.1.1.1', '10.2.2.2']);
});

test.serial('bad arguments get Node\'s codes, a closed handle ERR_NETNS_CLOSED, before anything runs', (t) => {
  const ns = createNetNS();
  const cb = () => {};
  t.throws(() => ns.lookup('x', undefined as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ns.lookup(42 as never, cb), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ns.lookup('x', 5, cb), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ns.lookup('x', { family: 5 as never }, cb), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ns.lookup('x', { hints: 0x4000 }, cb), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ns.lookup('x', { all: 1 as never }, cb), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ns.lookup('x', { order: 'random' as never }, cb), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ns.lookup('x', 'bad' as never, cb), { code: 'ERR_INVALID_ARG_TYPE' });
  ns.close();
  t.throws(() => ns.lookup('x', cb), { code: 'ERR_NETNS_CLOSED' });
  t.throws(() => ns.promises, { code: 'ERR_NETNS_CLOSED' });
});

test.serial('8 workers resolving in 8 namespaces at once get 8 different answers', async (t) => {
  const names = Array.from({ length: 8 }, (_, i) => makeEtcNS(t, { hosts: `10.66.0.${i + 1} who.test\n` }));
  const code = `
    const { parentPort, workerData } = require('node:worker_threads');
    const { getNSFromName } = require(${JSON.stringify(join(__dirname, '../dist'))});
    const ns = getNSFromName(workerData);
    Promise.all(Array.from({ length: 20 }, () => ns.promises.lookup('who.test')))
      .then((r) => { ns.close(); parentPort.postMessage([...new Set(r.map((a) => a.address))]); });`;
  const answers = await Promise.all(
    names.map(
      (name) =>
        new Promise<string[]>((resolve, reject) => {
          const w = new Worker(code, { eval: true, workerData: name });
          w.once('message', resolve);
          w.once('error', reject);
        }),
    ),
  );
  t.deepEqual(answers, names.map((_, i) => [`10.66.0.${i + 1}`]));
  assertNodeThreadsHome(t);
});

test.serial('no fd or thread is left after 10,000 lookups, once the resolver threads are idle', async (t) => {
  const name = makeEtcNS(t, { hosts: '10.44.3.3 many\n' });
  await resolverThreadsEnded();
  const ns = open(t, name);
  const fds = openFdCount();
  const threads = readdirSync('/proc/self/task').length;
  for (let batch = 0; batch < 100; batch += 1) {
    const found = await Promise.all(Array.from({ length: 100 }, () => ns.promises.lookup('many')));
    if (found.some((a) => a.address !== '10.44.3.3')) t.fail('a wrong answer');
  }
  t.true(native.resolverThreads() >= 1);
  assertNodeThreadsHome(t);
  await resolverThreadsEnded();
  t.is(native.resolverThreads(), 0);
  t.is(openFdCount(), fds);
  t.is(readdirSync('/proc/self/task').length, threads);
});

checkNoThreadLeftBehind(test);
