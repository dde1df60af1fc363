/**
 * Least privilege, proven: every operation run as uid 65534 holding no capability, only
 * CAP_SYS_ADMIN, only CAP_NET_ADMIN, or both (ambient, as a systemd unit's
 * `AmbientCapabilities=` gives them). With what it needs it works against real kernel objects
 * (a namespace and servers made by this root test process); without, it throws a
 * `NetNSSystemError` whose `code` is the kernel's and whose `capability` (and message) names
 * what was missing, and leaves no fd, file or mount. `NEEDS` below is the table of
 * docs/privileges.md.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';

import test, { type ExecutionContext } from 'ava';

import { createNetNS, listNetNS, type NetNS } from '../dist';
import { ip, nsInode, originalNsInode } from './helpers/kernel';
import { mountPointsUnder, unmountUnder } from './helpers/mounts';
import { twinServers } from './helpers/servers';
import { nobodyDir, NOBODY, runJsonAsUser, type Capability } from './helpers/unprivileged';

const BODY = readFileSync(join(__dirname, 'fixtures', 'least-privilege-body.cjs'), 'utf8');

const SYS = 'CAP_SYS_ADMIN';
const NET = 'CAP_NET_ADMIN';

/**
 * What each operation of the body needs, in the order the kernel asks for it (the first one
 * missing is the one the error names); 'runDir' for a write in the system's run directory, which
 * uid 65534 may never do.
 */
const NEEDS: Record<string, string[] | 'runDir'> = {
  getNS: [],
  getCurrentNS: [],
  getNSFromName: [],
  listNetNS: [],
  getMark: [],
  bindToDevice: [],
  ownDo: [],
  ownLinks: [],
  ownConnect: [],
  ownLookup: [],
  ownExecFileSync: [],
  do: [SYS],
  set: [SYS],
  connect: [SYS],
  listen: [SYS],
  createSocket: [SYS],
  lookup: [SYS],
  fetch: [SYS],
  execFileSync: [SYS],
  worker: [SYS],
  links: [SYS],
  createAnonymous: [SYS],
  createNamed: [SYS],
  createNamedFromEnv: [SYS],
  deleteNamed: [SYS],
  addVeth: [SYS, NET],
  addAddress: [SYS, NET],
  setLinkUp: [SYS, NET],
  deleteLink: [SYS, NET],
  connectWithMark: [SYS, NET],
  setMark: [NET],
  hostConnectWithMark: [NET],
  rebindToDevice: ['CAP_NET_RAW'],
  getNSFromPid1: ['CAP_SYS_PTRACE'],
  listenOnPort80: [SYS, 'CAP_NET_BIND_SERVICE'],
  createInSystemRunDir: 'runDir',
  deleteInSystemRunDir: 'runDir',
};

interface Outcome {
  ok: boolean;
  value?: unknown;
  cls?: string;
  code?: string;
  syscall?: string;
  capability?: string;
  runDir?: string;
  message?: string;
  leftFds?: string[];
}

interface Report {
  uid: number;
  threadNs: number;
  ops: Record<string, Outcome>;
}

let counter = 0;

/** A UDP echo inside `ns` that answers 'inside'; closed on teardown. */
function udpEcho(t: ExecutionContext, ns: NetNS): number {
  const s = ns.createSocket({ type: 'udp4', address: '127.0.0.1', port: 0 }, (_msg, rinfo) => s.send('inside', rinfo.port, rinfo.address));
  t.teardown(() => s.close());
  return (s.address() as { port: number }).port;
}

/** The `ip -o` lines of device `dev` in namespace `name` (address and link), or '' if it is gone. */
function device(name: string, dev: string): { addr: string; link: string } {
  const run = (...args: string[]) => spawnSync('ip', ['-n', name, '-o', ...args, 'dev', dev], { encoding: 'utf8' }).stdout;
  return { addr: run('addr', 'show'), link: run('link', 'show') };
}

async function proveWith(t: ExecutionContext, caps: Capability[]): Promise<void> {
  const held = caps.map((c) => `CAP_${c.toUpperCase()}`);
  const { ns, name, port } = await twinServers(t, 'http');
  const nsPath = `/run/netns/${name}`;
  const udpPort = udpEcho(t, ns);
  const tag = `${process.pid.toString(36)}${++counter}`;
  for (const [a, b] of [['la', 'lb'], ['lx', 'ly']]) ip('-n', name, 'link', 'add', `${a}${tag}`, 'type', 'veth', 'peer', 'name', `${b}${tag}`);

  const runDir = nobodyDir('lp-run');
  const envRunDir = nobodyDir('lp-env');
  // The harness removes these folders at exit: what the bodies (or this test) mounted goes first.
  t.teardown(() => {
    unmountUnder(runDir);
    unmountUnder(envRunDir);
  });
  const liveName = `live${tag}`;
  createNetNS(liveName, { runDir }).close();
  const runDirMounts = mountPointsUnder(runDir);

  const report = await runJsonAsUser<Report>(BODY, {
    caps,
    env: { NETNS_PROBE: JSON.stringify({ nsPath, port, udpPort, runDir, envRunDir, liveName, tag }) },
  });
  t.is(report.uid, NOBODY);
  t.is(report.threadNs, originalNsInode, 'the body ends in the namespace it started in');
  t.deepEqual(Object.keys(report.ops).sort(), Object.keys(NEEDS).sort());

  const nsIno = nsInode(nsPath);
  const values: Record<string, (v: unknown) => boolean> = {
    getNS: (v) => v === nsIno,
    getCurrentNS: (v) => v === originalNsInode,
    getNSFromName: (v) => v === nsIno,
    listNetNS: (v) => JSON.stringify(v) === JSON.stringify([liveName]),
    getMark: (v) => v === 0,
    bindToDevice: (v) => v === 'lo',
    ownDo: (v) => v === originalNsInode,
    ownLinks: (v) => v === true,
    ownConnect: (v) => v === `own ${tag}`,
    ownLookup: (v) => v === '127.0.0.1' || v === '::1',
    ownExecFileSync: (v) => v === originalNsInode,
    do: (v) => v === nsIno,
    set: (v) => v === nsIno,
    connect: (v) => typeof v === 'string' && v.startsWith('inside /lp'),
    listen: (v) => v === `echo ${tag}`,
    createSocket: (v) => v === 'inside',
    lookup: (v) => v === '127.0.0.1' || v === '::1',
    fetch: (v) => typeof v === 'string' && v.startsWith('inside /lp'),
    execFileSync: (v) => v === nsIno,
    worker: (v) => v === nsIno,
    links: (v) => ['lo', `la${tag}`, `lb${tag}`, `lx${tag}`, `ly${tag}`].every((d) => (v as string[]).includes(d)),
    createAnonymous: (v) => JSON.stringify(v) === JSON.stringify(['lo']),
    createNamed: (v) => JSON.stringify(v) === JSON.stringify({ listed: [`a${tag}`, liveName].sort(), same: true, after: [liveName] }),
    createNamedFromEnv: (v) => JSON.stringify(v) === JSON.stringify({ listed: [`e${tag}`], after: [] }),
    connectWithMark: (v) => v === 7,
    setMark: (v) => v === 9,
    hostConnectWithMark: (v) => v === 5,
  };

  for (const [op, needs] of Object.entries(NEEDS)) {
    const got = report.ops[op] as Outcome;
    if (needs === 'runDir') {
      const sysRunDir = dirname(nsPath);
      t.like(got, { ok: false, cls: 'NetNSSystemError', code: 'EACCES', runDir: sysRunDir }, op);
      for (const word of [`'${sysRunDir}'`, 'runDir', 'NETNS_RUN_DIR']) t.true(got.message?.includes(word), `${op}: ${got.message}`);
      t.deepEqual(got.leftFds, [], op);
      continue;
    }
    const missing = needs.find((c) => !held.includes(c));
    if (missing === undefined) {
      t.true(got.ok, `${op} with ${held.join(', ') || 'no capability'}: ${got.message}`);
      if (got.ok && values[op]) t.true(values[op](got.value), `${op} returned ${JSON.stringify(got.value)}`);
      continue;
    }
    // The kernel says EACCES, not EPERM, for another user's /proc files and for low ports.
    const code = missing === 'CAP_SYS_PTRACE' || missing === 'CAP_NET_BIND_SERVICE' ? 'EACCES' : 'EPERM';
    t.like(got, { ok: false, cls: 'NetNSSystemError', code, capability: missing }, op);
    t.true(got.message?.includes(missing), `${op}: ${got.message}`);
    t.deepEqual(got.leftFds, [], `${op} left fds open`);
  }

  // Nothing left behind, and what was allowed really happened.
  const mayEnter = held.includes(SYS);
  const mayChangeDevices = mayEnter && held.includes(NET);
  t.false(existsSync(join(dirname(nsPath), `s${tag}`)), 'no file in the system run directory');
  t.true(listNetNS({ runDir: dirname(nsPath) }).includes(basename(nsPath)), 'the root namespace is still there');
  t.is(nsInode(nsPath), nsIno);
  if (mayEnter) {
    t.deepEqual(readdirSync(runDir), []);
    t.deepEqual(mountPointsUnder(runDir), [runDir], 'only the run directory itself, made shared as ip does');
    t.deepEqual(mountPointsUnder(envRunDir), [envRunDir]);
  } else {
    t.deepEqual(readdirSync(runDir), [liveName]);
    t.deepEqual(mountPointsUnder(runDir), runDirMounts, 'no mount made or taken away');
    t.deepEqual(mountPointsUnder(envRunDir), []);
  }
  t.deepEqual(readdirSync(envRunDir), []);
  const la = device(name, `la${tag}`);
  t.is(la.addr.includes('10.231.7.1/30'), mayChangeDevices);
  t.is(/<[^>]*\bUP\b/.test(la.link), mayChangeDevices);
  t.is(device(name, `lc${tag}`).link !== '', mayChangeDevices, 'addVeth');
  t.is(device(name, `lx${tag}`).link === '', mayChangeDevices, 'deleteLink');
}

test('with CAP_SYS_ADMIN and CAP_NET_ADMIN, uid 65534 does everything, named namespaces in a run dir of its own', (t) =>
  proveWith(t, ['sys_admin', 'net_admin']));

test('with no capability, uid 65534 opens namespaces and gets a typed EPERM naming the capability for the rest', (t) =>
  proveWith(t, []));

test('with CAP_SYS_ADMIN alone, namespaces work and devices and marks are EPERM naming CAP_NET_ADMIN', (t) =>
  proveWith(t, ['sys_admin']));

test('with CAP_NET_ADMIN alone, marks work and entering a namespace is EPERM naming CAP_SYS_ADMIN', (t) =>
  proveWith(t, ['net_admin']));
