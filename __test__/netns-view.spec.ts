/**
 * `netnsView: true` for ns.spawn & co.: the child sees /etc/netns/<name> over /etc and a /sys
 * of the namespace, as under `ip netns exec`; the parent's mounts do not change.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import test, { type ExecutionContext } from 'ava';

import { getNSFromName, NetNSViewUnavailableError, type NetNS } from '../dist';
import { native } from '../dist/lib/native';
import { checkNoThreadLeftBehind } from './helpers/kernel';
import { makeEtcNS, startZone } from './helpers/etcns';

/** The process's mounts on /etc and /sys (others come and go with concurrent tests). */
function etcAndSysMounts(): string[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter((line) => /^\S+ \S+ \S+ \S+ \/(etc|sys)(\/| )/.test(line));
}

async function zoneNS(t: ExecutionContext): Promise<NetNS> {
  const name = makeEtcNS(t, { 'resolv.conf': 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n', hosts: '10.44.5.5 view-host\n' });
  await startZone(t, name, { 'svc.test': { A: ['10.55.0.7'] } });
  const ns = getNSFromName(name);
  t.teardown(() => ns.close());
  return ns;
}

test('a spawned getent resolves with the namespace\'s hosts file and DNS server; /sys lists its links', async (t) => {
  const ns = await zoneNS(t);
  const mounts = etcAndSysMounts();
  t.regex(ns.execFileSync('getent', ['hosts', 'svc.test'], { netnsView: true, encoding: 'utf8' } as never) as unknown as string, /^10\.55\.0\.7\s+svc\.test/);
  t.regex(ns.execFileSync('getent', ['hosts', 'view-host'], { netnsView: true, encoding: 'utf8' } as never) as unknown as string, /^10\.44\.5\.5\s/);
  t.is((ns.execSync('ls /sys/class/net', { netnsView: true, encoding: 'utf8' } as never) as unknown as string).trim(), 'lo');
  const viaSpawn = await new Promise<string>((resolve, reject) => {
    const child = ns.spawn('getent', ['hosts', 'svc.test'], { netnsView: true } as never);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
  t.regex(viaSpawn, /^10\.55\.0\.7\s/);
  const viaExec = await new Promise<string>((resolve, reject) => {
    ns.exec('getent hosts svc.test', { netnsView: true } as never, (err, stdout) => (err ? reject(err) : resolve(String(stdout))));
  });
  t.regex(viaExec, /^10\.55\.0\.7\s/);
  // Without the option the child keeps the host's /etc: the namespace's names are unknown to it.
  t.is(ns.spawnSync('getent', ['hosts', 'view-host']).status, 2);
  t.deepEqual(etcAndSysMounts(), mounts);
});

test('netnsView must be a boolean', (t) => {
  const ns = getNSFromName(makeEtcNS(t, {}));
  t.teardown(() => ns.close());
  t.throws(() => ns.spawnSync('true', [], { netnsView: 'yes' } as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.is(ns.spawnSync('true', [], { netnsView: false } as never).status, 0);
  t.is(ns.execSync('echo ok', { netnsView: false, encoding: 'utf8' } as never) as unknown as string, 'ok\n');
});

checkNoThreadLeftBehind(test);

test('ns.worker with netnsView: its thread reads the namespace\'s /etc files and /sys; the main thread keeps its own', async (t) => {
  const name = makeEtcNS(t, { hosts: '10.44.6.6 worker-view\n' });
  const ns = getNSFromName(name);
  t.teardown(() => ns.close());
  const mounts = etcAndSysMounts();
  const code = `
    const { readFileSync, readdirSync } = require('node:fs');
    require('node:worker_threads').parentPort.postMessage({
      hosts: readFileSync('/etc/hosts', 'utf8'), links: readdirSync('/sys/class/net'), data: require('node:worker_threads').workerData,
    });`;
  const got = await new Promise<{ hosts: string; links: string[]; data: unknown }>((resolve, reject) => {
    const w = ns.worker(code, { eval: true, netnsView: true, workerData: 7 } as never);
    w.once('message', resolve);
    w.once('error', reject);
  });
  t.deepEqual(got, { hosts: '10.44.6.6 worker-view\n', links: ['lo'], data: 7 });
  t.not(readFileSync('/etc/hosts', 'utf8'), '10.44.6.6 worker-view\n');
  t.deepEqual(etcAndSysMounts(), mounts);
  // The main thread never unshares its file-system attributes.
  t.throws(() => native.enterNetnsView(null), { code: 'EPERM' });
});

/** What a child with the view prints for `cat /etc/hosts; ls /sys/class/net`, and without it. */
const VIEW_SCRIPT = 'cat /etc/hosts; ls /sys/class/net';
const VIEWED = '10.44.7.7 every-form\nlo\n';

function viewNS(t: ExecutionContext): NetNS {
  const ns = getNSFromName(makeEtcNS(t, { hosts: '10.44.7.7 every-form\n' }));
  t.teardown(() => ns.close());
  return ns;
}

test('netnsView with args undefined or null (spawnSync, execFileSync, execFile, fork): the child gets the view', async (t) => {
  const ns = viewNS(t);
  const opts = { netnsView: true, input: VIEW_SCRIPT, encoding: 'utf8' } as never;
  t.is(ns.spawnSync('sh', undefined, opts).stdout as unknown as string, VIEWED);
  t.is(ns.spawnSync('sh', null as never, opts).stdout as unknown as string, VIEWED);
  t.is(ns.execFileSync('sh', null as never, opts) as unknown as string, VIEWED);
  t.is(ns.execFileSync('sh', undefined, opts) as unknown as string, VIEWED);
  const viaExecFile = await new Promise<string>((resolve, reject) => {
    const child = ns.execFile('sh', null as never, { netnsView: true } as never, (err, stdout) => (err ? reject(err) : resolve(String(stdout))));
    child.stdin?.end(VIEW_SCRIPT);
  });
  t.is(viaExecFile, VIEWED);
  const viaSpawn = await new Promise<string>((resolve, reject) => {
    const child = ns.spawn('sh', undefined, { netnsView: true } as never);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
    child.stdin?.end(VIEW_SCRIPT);
  });
  t.is(viaSpawn, VIEWED);
  const viaFork = await new Promise<unknown>((resolve, reject) => {
    const child = ns.fork(join(__dirname, 'fixtures', 'send-hosts.cjs'), null as never, { netnsView: true } as never);
    child.once('message', resolve);
    child.once('error', reject);
  }).catch((e: Error) => e.message);
  t.is(viaFork, '10.44.7.7 every-form\n');
});

test('netnsView with shell: true (spawnSync, spawn, execFileSync) and shell: \'/bin/bash\' (execSync, exec) runs that shell in the view', async (t) => {
  const ns = viewNS(t);
  t.is(ns.spawnSync(VIEW_SCRIPT, { shell: true, netnsView: true, encoding: 'utf8' } as never).stdout as unknown as string, VIEWED);
  t.is(ns.spawnSync('cat', ['/etc/hosts;', 'ls', '/sys/class/net'], { shell: true, netnsView: true, encoding: 'utf8' } as never).stdout as unknown as string, VIEWED);
  t.is(ns.execFileSync('if true; then cat /etc/hosts; fi; ls /sys/class/net', { shell: true, netnsView: true, encoding: 'utf8' } as never) as unknown as string, VIEWED);
  const viaSpawn = await new Promise<string>((resolve, reject) => {
    const child = ns.spawn(VIEW_SCRIPT, { shell: true, netnsView: true } as never);
    let out = '';
    child.stdout?.on('data', (c: Buffer) => (out += c.toString()));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
  t.is(viaSpawn, VIEWED);
  const bash = `echo "[$BASH_VERSION]" | grep -c '^\\[[0-9]'; ${VIEW_SCRIPT}`;
  t.is(ns.execSync(bash, { shell: '/bin/bash', netnsView: true, encoding: 'utf8' } as never) as unknown as string, `1\n${VIEWED}`);
  const viaExec = await new Promise<string>((resolve, reject) => {
    ns.exec(bash, { shell: '/bin/bash', netnsView: true } as never, (err, stdout) => (err ? reject(err) : resolve(String(stdout))));
  });
  t.is(viaExec, `1\n${VIEWED}`);
});

test('netnsView with argv0: the child\'s argv[0] is the one given, and it has the view', (t) => {
  const ns = viewNS(t);
  const out = ns.spawnSync('cat', ['/proc/self/cmdline', '/etc/hosts'], { argv0: 'custom-argv0', netnsView: true, encoding: 'utf8' } as never).stdout as unknown as string;
  t.is(out, 'custom-argv0\0/proc/self/cmdline\0/etc/hosts\0' + '10.44.7.7 every-form\n');
});

test('netnsView without util-linux unshare on PATH is a typed error that names util-linux, before anything starts', (t) => {
  const ns = viewNS(t);
  const env = { PATH: '/nonexistent-netns-test' };
  for (const call of [
    () => ns.spawnSync('true', [], { netnsView: true, env } as never),
    () => ns.execSync('true', { netnsView: true, env } as never),
    () => ns.spawn('true', { netnsView: true, env } as never),
  ]) {
    const err = t.throws(call, { instanceOf: NetNSViewUnavailableError });
    t.is((err as unknown as { code: string }).code, 'ERR_NETNS_VIEW_UNAVAILABLE');
    t.is((err as unknown as { missing: string }).missing, 'unshare');
  }
});
