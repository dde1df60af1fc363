/**
 * `netnsView: true` for ns.spawn & co.: the child sees /etc/netns/<name> over /etc and a /sys
 * of the namespace, as under `ip netns exec`; the parent's mounts do not change.
 */
import { readFileSync } from 'node:fs';
import test, { type ExecutionContext } from 'ava';

import { getNSFromName, type NetNS } from '../dist';
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
