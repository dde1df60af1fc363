import test, { type ExecutionContext } from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Worker } from 'node:worker_threads';

import {
  InvalidArgTypeError,
  NetNS,
  NetNSInvalidNameError,
  NetNSSystemError,
  NSPathNotExistError,
  NSPathNotNSError,
  OutOfRangeError,
  createNetNS,
  deleteNetNS,
  getCurrentNS,
  getNS,
  getNSFromName,
  getNSFromPid,
  getNSFromThread,
  gettid,
  listNetNS,
} from '../dist';
import { allThreadNsInodes, ip, makeNamedNS, nsInode, removeNamedNS, threadNsInode, checkNoThreadLeftBehind } from './helpers/kernel';
import { lcName, mountPointsUnder, mounts, mountsOfNs, tempRunDir } from './helpers/mounts';

checkNoThreadLeftBehind(test);

const RUN_DIR = '/run/netns';
const pkg = resolve(__dirname, '..');

const ours = new Set<string>();
process.on('exit', () => {
  for (const name of ours) removeNamedNS(name);
});

/** A unique name in the system run dir, deleted (if it still exists) when the test ends, or at exit. */
function ourName(t: ExecutionContext, tag: string): string {
  const name = lcName(tag);
  ours.add(name);
  t.teardown(() => {
    removeNamedNS(name);
    ours.delete(name);
  });
  return name;
}

function ipNetnsList(): string[] {
  // "name" or "name (id: 3)" per line.
  return ip('netns', 'list')
    .split('\n')
    .filter(Boolean)
    .map((l) => l.split(' ')[0]);
}

/** Runs a script with the package as `n` in a child node, returns its JSON output. */
function childNode(prefix: string[], script: string, ...args: string[]): unknown {
  const code = `const n = require(${JSON.stringify(pkg)}); const out = (() => { ${script} })(); console.log(JSON.stringify(out));`;
  const r = spawnSync(prefix[0], [...prefix.slice(1), process.execPath, '-e', code, ...args], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`child failed (${r.status}): ${r.stderr}`);
  return JSON.parse(r.stdout);
}

function runWorker<T>(workerData: unknown): { worker: Worker; done: Promise<T> } {
  const worker = new Worker(join(__dirname, 'fixtures', 'lifecycle-worker.js'), { workerData });
  const done = new Promise<T>((resolve, reject) => {
    let message: T | undefined;
    worker.on('message', (m: T) => (message = m));
    worker.on('error', reject);
    worker.on('exit', (code) => (code === 0 && message !== undefined ? resolve(message) : reject(new Error(`worker exited ${code}`))));
  });
  return { worker, done };
}

interface WorkerReport {
  results: { name: string; ino?: number; code?: string }[];
  before: number;
  after: number;
}

/** Starts workers that each create `namesPer[i]`, releases them all at once, returns their reports. */
async function raceWorkers(namesPer: string[][], runDir?: string, alsoOnMain?: () => void): Promise<WorkerReport[]> {
  const start = new SharedArrayBuffer(8);
  const flag = new Int32Array(start);
  const runs = namesPer.map((names) => runWorker<WorkerReport>({ names, start, runDir }));
  const failed = Promise.race(runs.map((r) => r.done)).then(
    () => new Error('a worker finished before the start signal'),
    (e: unknown) => e,
  );
  let failure: unknown;
  void failed.then((e) => (failure = e));
  while (Atomics.load(flag, 1) < namesPer.length) {
    if (failure !== undefined) throw failure;
    await new Promise((r) => setTimeout(r, 5));
  }
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  alsoOnMain?.();
  return Promise.all(runs.map((r) => r.done));
}

test('a named namespace made here is listed by ip and usable with ip -n, and ip deletes it', (t) => {
  const name = ourName(t, 'here');
  const host = threadNsInode();
  const threadsBefore = allThreadNsInodes();
  const ns = createNetNS(name);
  t.teardown(() => ns.close());
  t.is(threadNsInode(), host, 'the calling thread never changed');
  for (const [tid, ino] of allThreadNsInodes()) if (threadsBefore.has(tid)) t.is(ino, threadsBefore.get(tid) as number, `thread ${tid}`);

  t.true(ns instanceof NetNS);
  t.is(ns.path, `${RUN_DIR}/${name}`);
  t.not(ns.inode, host);
  t.is(nsInode(`${RUN_DIR}/${name}`), ns.inode);
  t.true(ipNetnsList().includes(name));
  t.true(listNetNS().includes(name));
  t.regex(ip('-n', name, 'link', 'show', 'lo'), /^1: lo:/);
  t.is(ns.do(() => threadNsInode()), ns.inode);
  t.true(mountPointsUnder(RUN_DIR).includes(`${RUN_DIR}/${name}`));

  ip('netns', 'del', name);
  t.false(listNetNS().includes(name));
  t.false(existsSync(`${RUN_DIR}/${name}`));
  t.deepEqual(mountsOfNs(ns.inode), []);
  // The open handle keeps the namespace alive and usable.
  t.is(ns.do(() => threadNsInode()), ns.inode);
});

test('a namespace made by ip netns add is listed, opened by name, and deleted here', (t) => {
  const { name, path } = makeNamedNS(t, 'ip');
  const ino = nsInode(path);
  t.true(listNetNS().includes(name));
  const ns = getNSFromName(name);
  t.teardown(() => ns.close());
  t.is(ns.inode, ino);
  t.is(ns.path, path);

  deleteNetNS(name);
  t.false(ipNetnsList().includes(name));
  t.false(existsSync(path));
  t.false(mountPointsUnder(RUN_DIR).includes(path));
  t.deepEqual(mountsOfNs(ino), []);
  t.is(ns.do(() => threadNsInode()), ino, 'the open handle still works after delete');
  t.throws(() => getNSFromName(name), { instanceOf: NSPathNotExistError, code: 'ERR_NETNS_PATH_NOT_EXIST' });
});

test('getNSFromPid and getNSFromThread of a process started by ip netns exec', async (t) => {
  const { name, path } = makeNamedNS(t, 'pid');
  const child = spawn('ip', ['netns', 'exec', name, 'sleep', '30'], { stdio: 'ignore' });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  const pid = child.pid as number;
  // ip sets the namespace, then execs sleep: wait for the exec (long: the machine may be busy).
  for (const deadline = Date.now() + 15_000; Date.now() < deadline; ) {
    try {
      if (readFileSync(`/proc/${pid}/comm`, 'utf8') === 'sleep\n') break;
    } catch {
      // not there yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  t.is(readFileSync(`/proc/${pid}/comm`, 'utf8'), 'sleep\n');
  using named = getNSFromName(name);
  using byPid = getNSFromPid(pid);
  using byThread = getNSFromThread(pid, pid);
  t.is(byPid.inode, nsInode(path));
  t.true(byPid.equals(named));
  t.true(byThread.equals(named));
  t.is(byPid.path, `/proc/${pid}/ns/net`);
  t.is(byThread.path, `/proc/${pid}/task/${pid}/ns/net`);

  using mine = getCurrentNS();
  using myThread = getNSFromThread(process.pid, gettid());
  t.true(myThread.equals(mine));
  t.false(byPid.equals(mine));
});

test('getNSFromPid and getNSFromThread check their arguments and missing processes', (t) => {
  t.throws(() => getNSFromPid(0), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => getNSFromPid(1.5), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => getNSFromPid('1' as unknown as number), { instanceOf: InvalidArgTypeError, code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => getNSFromThread(process.pid, -1), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' });
  // A pid above the kernel's pid_max never exists.
  const pidMax = Number(readFileSync('/proc/sys/kernel/pid_max', 'utf8'));
  t.throws(() => getNSFromPid(pidMax + 1), { instanceOf: NSPathNotExistError, code: 'ERR_NETNS_PATH_NOT_EXIST' });
  t.throws(() => getNSFromThread(process.pid, pidMax + 1), { instanceOf: NSPathNotExistError });
});

test('an existing name is EEXIST, also when ip made it, and the existing namespace is untouched', (t) => {
  const { name, path } = makeNamedNS(t, 'ex');
  const ino = nsInode(path);
  const e = t.throws(() => createNetNS(name), { instanceOf: NetNSSystemError, code: 'EEXIST' });
  t.is(e?.syscall, 'open');
  t.is(e?.path, path);
  t.is(nsInode(path), ino);

  const mine = ourName(t, 'ex2');
  createNetNS(mine).close();
  t.throws(() => createNetNS(mine), { instanceOf: NetNSSystemError, code: 'EEXIST' });
  t.true(ipNetnsList().includes(mine));
});

test('deleting or opening a missing name fails with ENOENT / not-exist', (t) => {
  const name = lcName('miss');
  const e = t.throws(() => deleteNetNS(name), { instanceOf: NetNSSystemError, code: 'ENOENT' });
  t.is(e?.syscall, 'unlink');
  t.is(e?.path, `${RUN_DIR}/${name}`);
  t.throws(() => getNSFromName(name), { instanceOf: NSPathNotExistError, code: 'ERR_NETNS_PATH_NOT_EXIST' });
});

const INVALID_NAMES = ['', '.', '..', 'a/b', '/', '../x', 'a\0b', 'x'.repeat(256), 'é'.repeat(128)];

test('invalid names are a RangeError and touch nothing on disk', (t) => {
  const { base, runDir } = tempRunDir(t);
  // Other test files, and other programs on the machine, make namespaces at the same time:
  // count only mount points that these calls could have made (the bad names under /run/netns).
  const suspects = new Set(INVALID_NAMES.flatMap((n) => [join(RUN_DIR, n), join(RUN_DIR, n.split('/')[0])]));
  const notOurs = (m: { point: string }) => suspects.has(m.point);
  const mountsBefore = mounts().filter(notOurs).length;
  for (const bad of INVALID_NAMES) {
    for (const call of [
      () => createNetNS(bad, { runDir }),
      () => deleteNetNS(bad, { runDir }),
      () => getNSFromName(bad, { runDir }),
      () => createNetNS(bad),
    ]) {
      const e = t.throws(call, { instanceOf: NetNSInvalidNameError, code: 'ERR_NETNS_INVALID_NAME' });
      t.true(e instanceof RangeError);
    }
  }
  t.false(existsSync(runDir), 'the run dir was not even created');
  t.deepEqual(readdirSync(base), []);
  t.deepEqual(mountPointsUnder(base), []);
  t.is(mounts().filter(notOurs).length, mountsBefore);
  t.throws(() => createNetNS(42 as unknown as string), { instanceOf: InvalidArgTypeError, code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => createNetNS('x', { runDir: '' }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => createNetNS('x', null as unknown as object), { instanceOf: InvalidArgTypeError });
});

test('names of 255 bytes and unusual characters are accepted, as ip accepts them', (t) => {
  const { runDir } = tempRunDir(t);
  for (const name of ['x'.repeat(255), 'é'.repeat(127), '...', '-a b']) {
    const ns = createNetNS(name, { runDir });
    t.is(ns.path, join(runDir, name));
    using byName = getNSFromName(name, { runDir });
    t.true(byName.equals(ns));
    ns.close();
    deleteNetNS(name, { runDir });
  }
  t.deepEqual(listNetNS({ runDir }), []);
});

test.serial('a custom run dir: created, made a shared mount, holds the namespaces, and NETNS_RUN_DIR selects it', (t) => {
  const { runDir } = tempRunDir(t);
  const a = createNetNS('a', { runDir });
  t.teardown(() => a.close());
  t.true(existsSync(runDir));
  const self = readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .find((l) => l.split(' ')[4] === runDir);
  t.truthy(self, 'the run dir is a mount point');
  t.regex(self ?? '', / shared:\d+/);
  t.deepEqual(mountsOfNs(a.inode).map((m) => m.point), [join(runDir, 'a')]);

  const saved = process.env.NETNS_RUN_DIR;
  process.env.NETNS_RUN_DIR = runDir;
  try {
    t.deepEqual(listNetNS(), ['a']);
    using b = createNetNS('b');
    t.is(b.path, join(runDir, 'b'));
    t.deepEqual(listNetNS(), ['a', 'b']);
    deleteNetNS('b');
  } finally {
    if (saved === undefined) delete process.env.NETNS_RUN_DIR;
    else process.env.NETNS_RUN_DIR = saved;
  }
  t.deepEqual(listNetNS({ runDir }), ['a']);
  deleteNetNS('a', { runDir });
  t.deepEqual(listNetNS({ runDir }), []);
  t.deepEqual(mountsOfNs(a.inode), []);
  t.deepEqual(listNetNS({ runDir: join(runDir, 'missing') }), []);
});

test('without CAP_SYS_ADMIN creation fails with EPERM and leaves nothing', (t) => {
  const { base, runDir } = tempRunDir(t);
  const out = childNode(
    ['setpriv', '--inh-caps=-sys_admin', '--bounding-set=-sys_admin'],
    `const r = [];
     for (const f of [() => n.createNetNS(), () => n.createNetNS('p', { runDir: process.argv[1] })]) {
       try { f(); r.push('created'); } catch (e) { r.push({ code: e.code, syscall: e.syscall, cls: e.constructor.name }); }
     }
     return r;`,
    runDir,
  );
  t.deepEqual(out, [
    { code: 'EPERM', syscall: 'unshare', cls: 'NetNSSystemError' },
    { code: 'EPERM', syscall: 'mount', cls: 'NetNSSystemError' },
  ]);
  t.deepEqual(readdirSync(runDir), [], 'no namespace file');
  t.deepEqual(mountPointsUnder(base), []);
});

test('a creation that fails after its file was made removes the file (unshare fails for real)', (t) => {
  // In a user namespace of its own whose net namespace limit is 0, unshare(CLONE_NEWNET) fails
  // with ENOSPC after the run dir was made shared and the file created: the file must go.
  const { runDir } = tempRunDir(t);
  const out = childNode(
    ['unshare', '--user', '--map-root-user', '--mount', 'sh', '-c', 'echo 0 > /proc/sys/user/max_net_namespaces && exec "$@"', 'sh'],
    `const dir = process.argv[1];
     let err;
     try { n.createNetNS('half', { runDir: dir }); } catch (e) { err = { code: e.code, syscall: e.syscall }; }
     const points = require('fs').readFileSync('/proc/self/mountinfo', 'utf8').split('\\n').map((l) => l.split(' ')[4]);
     return { err, files: require('fs').readdirSync(dir), runDirMounted: points.includes(dir), fileMounted: points.includes(dir + '/half') };`,
    runDir,
  );
  t.deepEqual(out, { err: { code: 'ENOSPC', syscall: 'unshare' }, files: [], runDirMounted: false, fileMounted: false }, 'a failed creation undoes its own mounts');
  t.deepEqual(readdirSync(runDir), []);
});

test('an anonymous namespace: new, usable with do(), held by its handle or a process, never in the run dir', async (t) => {
  const host = threadNsInode();
  const ns = createNetNS();
  t.teardown(() => ns.close());
  const ino = ns.inode;
  t.not(ino, host);
  t.is(threadNsInode(), host);
  t.is(ns.do(() => threadNsInode()), ino);
  t.is(ns.path, `/proc/${process.pid}/fd/${ns.fd}`);
  using again = getNS(ns.path);
  t.true(again.equals(ns));
  t.deepEqual(mountsOfNs(ino), []);
  for (const entry of readdirSync(RUN_DIR)) {
    try {
      t.not(nsInode(join(RUN_DIR, entry)), ino);
    } catch {
      // another test's namespace went away meanwhile
    }
  }
  // A process started inside keeps it alive after the handle is closed.
  const child = ns.do(() => spawn('sleep', ['5'], { stdio: 'ignore' }));
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  ns.close();
  using held = getNSFromPid(child.pid as number);
  t.is(held.inode, ino);
  t.is(held.do(() => ip('link', 'show', 'lo').startsWith('1: lo:')), true);
});

test('twenty distinct names created at once, from worker threads and the main thread', async (t) => {
  const names = Array.from({ length: 20 }, (_, i) => ourName(t, `c${i}`));
  t.is(new Set(names).size, 20);
  const host = threadNsInode();
  let mainResults: WorkerReport['results'] = [];
  // The main thread creates its four right after releasing the workers.
  const reports = await raceWorkers([names.slice(0, 4), names.slice(4, 8), names.slice(8, 12), names.slice(12, 16)], undefined, () => {
    mainResults = names.slice(16).map((name) => {
      const ns = createNetNS(name);
      const ino = ns.inode;
      ns.close();
      return { name, ino };
    });
  });
  const all = [...reports.flatMap((r) => r.results), ...mainResults];
  t.deepEqual(all.filter((r) => r.code !== undefined), [], 'no creation failed');
  t.is(new Set(all.map((r) => r.ino)).size, 20, 'twenty different namespaces');
  for (const r of reports) t.is(r.after, r.before, 'worker threads never changed namespace');
  t.is(threadNsInode(), host);
  const listed = new Set(ipNetnsList());
  for (const r of all) {
    t.true(listed.has(r.name), r.name);
    t.is(nsInode(`${RUN_DIR}/${r.name}`), r.ino as number);
  }
  // Exactly one bind mount per namespace: no doubled run dir mounts, no doubled files.
  for (const r of all) t.is(mountsOfNs(r.ino as number).length, 1, r.name);
  for (const name of names) deleteNetNS(name);
  for (const r of all) t.deepEqual(mountsOfNs(r.ino as number), []);
});

test('the same name created by several threads at once: exactly one wins, the others get EEXIST', async (t) => {
  const names = Array.from({ length: 5 }, (_, i) => ourName(t, `r${i}`));
  const reports = await raceWorkers([names, names, names, names]);
  for (const name of names) {
    const outcomes = reports.map((r) => r.results.find((x) => x.name === name));
    const winners = outcomes.filter((o) => o?.ino !== undefined);
    t.is(winners.length, 1, name);
    t.deepEqual(
      outcomes.filter((o) => o?.ino === undefined).map((o) => o?.code),
      ['EEXIST', 'EEXIST', 'EEXIST'],
    );
    t.is(nsInode(`${RUN_DIR}/${name}`), winners[0]?.ino as number);
    t.is(mountsOfNs(winners[0]?.ino as number).length, 1);
  }
});

test('concurrent creation in a fresh custom run dir makes it a mount point only once', async (t) => {
  const { base, runDir } = tempRunDir(t);
  const names = Array.from({ length: 8 }, (_, i) => `n${i}`);
  const reports = await raceWorkers([names.slice(0, 4), names.slice(4)], runDir);
  t.deepEqual(
    reports.flatMap((r) => r.results).filter((r) => r.code !== undefined),
    [],
  );
  t.deepEqual(listNetNS({ runDir }), names);
  const points = mountPointsUnder(base);
  t.is(points.filter((p) => p === runDir).length, 1, 'one bind mount of the run dir on itself');
  t.is(points.length, 9);
  for (const name of names) deleteNetNS(name, { runDir });
  t.deepEqual(mountPointsUnder(base), [runDir]);
  t.deepEqual(execFileSync('ls', ['-A', runDir], { encoding: 'utf8' }), '');
});

test('a stale entry (an empty file, no mount) is not listed, withStale lists it, and the next creation reclaims it', (t) => {
  const { runDir } = tempRunDir(t);
  createNetNS('live', { runDir }).close();
  // What a creation killed before its mount, or a deletion killed after its unmount, leaves.
  writeFileSync(join(runDir, 'stale'), '', { mode: 0 });
  t.deepEqual(listNetNS({ runDir }), ['live']);
  t.deepEqual(listNetNS({ runDir, withStale: true }), ['live', 'stale']);
  using reborn = createNetNS('stale', { runDir });
  using opened = getNSFromName('stale', { runDir });
  t.true(opened.equals(reborn));
  t.deepEqual(listNetNS({ runDir }), ['live', 'stale']);
  t.is(mountsOfNs(reborn.inode).length, 1);
  // A file with data in it is not a placeholder: never removed, the name stays taken.
  writeFileSync(join(runDir, 'data'), 'not a namespace');
  t.throws(() => createNetNS('data', { runDir }), { instanceOf: NetNSSystemError, code: 'EEXIST' });
  t.is(readFileSync(join(runDir, 'data'), 'utf8'), 'not a namespace');
  for (const name of ['live', 'stale']) deleteNetNS(name, { runDir });
  t.deepEqual(listNetNS({ runDir, withStale: true }), ['data']);
});

test('deleteNetNS and createNetNS never follow a symlink nor remove what is not a namespace entry or an empty placeholder', (t) => {
  const { base, runDir } = tempRunDir(t);
  using victim = createNetNS('victim', { runDir });
  // An unrelated tmpfs outside the run dir, and an empty file outside it.
  const mnt = join(base, 'mnt');
  mkdirSync(mnt);
  execFileSync('mount', ['-t', 'tmpfs', 'netns-test', mnt]);
  writeFileSync(join(mnt, 'keep'), 'x');
  const outside = join(base, 'outside-empty');
  writeFileSync(outside, '');
  writeFileSync(join(runDir, 'advData'), 'data');
  mkdirSync(join(runDir, 'advDir'));
  symlinkSync(mnt, join(runDir, 'advLinkMnt'));
  symlinkSync(join(runDir, 'victim'), join(runDir, 'advLinkNs'));
  symlinkSync(outside, join(runDir, 'advLinkEmpty'));
  symlinkSync('/nonexistent-netns-test', join(runDir, 'advLinkDangling'));
  const entries = ['advData', 'advDir', 'advLinkMnt', 'advLinkNs', 'advLinkEmpty', 'advLinkDangling'];
  const before = mountPointsUnder(base).sort();
  for (const name of entries) {
    t.throws(() => deleteNetNS(name, { runDir }), { instanceOf: NSPathNotNSError, code: 'ERR_NETNS_PATH_NOT_NS' }, name);
    t.throws(() => createNetNS(name, { runDir }), { instanceOf: NetNSSystemError, code: 'EEXIST' }, name);
  }
  t.deepEqual(mountPointsUnder(base).sort(), before, 'no mount came or went');
  t.is(readFileSync(join(runDir, 'advData'), 'utf8'), 'data');
  t.is(readFileSync(join(mnt, 'keep'), 'utf8'), 'x');
  t.true(existsSync(outside));
  t.deepEqual(readdirSync(runDir).sort(), [...entries, 'victim'].sort());
  using again = getNSFromName('victim', { runDir });
  t.true(again.equals(victim));
  t.deepEqual(listNetNS({ runDir }), ['victim']);
  deleteNetNS('victim', { runDir });
  t.deepEqual(listNetNS({ runDir }), []);
});

test('a creation that fails in a run dir it cannot write (/sys/kernel) undoes its bind mount of the run dir', (t) => {
  const name = lcName('sys');
  const at = (p: string) => mounts().filter((m) => m.point === p).length;
  const before = at('/sys/kernel');
  const e = t.throws(() => createNetNS(name, { runDir: '/sys/kernel' }), { instanceOf: NetNSSystemError });
  t.is(e?.path, `/sys/kernel/${name}`);
  t.is(at('/sys/kernel'), before, 'nothing left bind-mounted on /sys/kernel');
});

test('run dirs must be absolute paths other than /, and options are plain objects with known keys', (t) => {
  const name = lcName('opt');
  const calls: [string, (o: unknown) => unknown][] = [
    ['createNetNS', (o) => createNetNS(name, o as object)],
    ['deleteNetNS', (o) => deleteNetNS(name, o as object)],
    ['getNSFromName', (o) => getNSFromName(name, o as object)],
    ['listNetNS', (o) => listNetNS(o as object)],
  ];
  const mountsBefore = mounts().filter((m) => m.point === '/' || m.point === process.cwd() || m.point === resolve('..')).length;
  for (const [fn, call] of calls) {
    for (const runDir of ['..', '.', 'relative/dir', '/', '/..', '//', '/tmp/..']) {
      t.throws(() => call({ runDir }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' }, `${fn} ${runDir}`);
    }
    t.throws(() => call({ rundir: '/tmp' }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' }, `${fn} typo`);
    for (const bad of [new String('x'), ['/tmp'], new Map(), 'x']) {
      t.throws(() => call(bad), { instanceOf: InvalidArgTypeError, code: 'ERR_INVALID_ARG_TYPE' }, `${fn} ${String(bad)}`);
    }
  }
  t.throws(() => createNetNS(name, { withStale: true } as object), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => listNetNS({ withStale: 1 as unknown as boolean }), { instanceOf: InvalidArgTypeError, code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => createNetNS(undefined, { runDir: 'relative' }), { code: 'ERR_INVALID_ARG_VALUE' });
  // Object.create(null) is a plain object.
  t.notThrows(() => listNetNS(Object.assign(Object.create(null) as object, { runDir: '/nonexistent/netns-lc' })));

  const saved = process.env.NETNS_RUN_DIR;
  process.env.NETNS_RUN_DIR = 'relative/dir';
  try {
    t.throws(() => createNetNS(name), { code: 'ERR_INVALID_ARG_VALUE' });
    t.throws(() => listNetNS(), { code: 'ERR_INVALID_ARG_VALUE' });
    using anonymous = createNetNS();
    t.true(anonymous instanceof NetNS, 'an anonymous namespace does not need a run dir');
  } finally {
    if (saved === undefined) delete process.env.NETNS_RUN_DIR;
    else process.env.NETNS_RUN_DIR = saved;
  }
  for (const p of [`/${name}`, resolve(name), resolve('..', name), `/tmp/${name}`]) t.false(existsSync(p), p);
  t.is(mounts().filter((m) => m.point === '/' || m.point === process.cwd() || m.point === resolve('..')).length, mountsBefore);
});
