import test from 'ava';
import { spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { openSync, closeSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { once } from 'node:events';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import {
  bindToDevice,
  CLONE_NEWNET,
  NSFS_MAGIC,
  PROCFS_MAGIC,
  SO_MARK,
  NetNS,
  NetNSAsyncCallbackError,
  NetNSClosedError,
  NetNSSystemError,
  NetNSWrongTypeError,
  NSPathNotExistError,
  NSPathNotNSError,
  getCurrentNS,
  getMark,
  getNS,
  gettid,
  isNSorErr,
  setMark,
  setns,
  withNetNSPath,
} from '../dist';
import { allThreadNsInodes, makeNamedNS, nsInode, openFdCount, threadNsInode, checkNoThreadLeftBehind } from './helpers/kernel';

checkNoThreadLeftBehind(test);

const fixture = (name: string) => join(__dirname, 'fixtures', name);
const O_CLOEXEC = 0o2000000;

function fdFlags(fd: number): number {
  const m = /^flags:\s+([0-7]+)$/m.exec(readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'));
  if (!m) throw new Error(`no flags for fd ${fd}`);
  return parseInt(m[1], 8);
}

function runWorker<T>(file: string, workerData: unknown): Promise<T> {
  return new Promise((resolve, reject) => {
    const w = new Worker(fixture(file), { workerData });
    let message: T | undefined;
    w.on('message', (m: T) => (message = m));
    w.on('error', reject);
    w.on('exit', (code) => (code === 0 && message !== undefined ? resolve(message) : reject(new Error(`worker exited ${code}`))));
  });
}

test('constants have the kernel values', (t) => {
  t.is(SO_MARK, 36);
  t.is(CLONE_NEWNET, 0x40000000);
  t.is(NSFS_MAGIC, 0x6e736673);
  t.is(PROCFS_MAGIC, 0x9fa0);
});

test('gettid is the pid on the main thread', (t) => {
  t.is(gettid(), process.pid);
});

test('getCurrentNS is the thread namespace, with /proc/<pid>/task/<tid> as its path', (t) => {
  const ns = getCurrentNS();
  t.teardown(() => ns.close());
  t.is(ns.inode, threadNsInode());
  t.is(ns.path, `/proc/${process.pid}/task/${process.pid}/ns/net`);
  t.true(ns.equals(getNS('/proc/self/ns/net')));
});

test('do runs the callback in the target namespace and switches back', (t) => {
  const { path } = makeNamedNS(t, 'do');
  const before = threadNsInode();
  const ns = getNS(path);
  t.teardown(() => ns.close());
  t.is(ns.inode, nsInode(path));
  t.not(ns.inode, before);
  const seen = ns.do(() => threadNsInode());
  t.is(seen, nsInode(path));
  t.is(threadNsInode(), before);
});

test('hostNS is the caller namespace, also in nested calls, and is closed afterwards', (t) => {
  const a = getNS(makeNamedNS(t, 'na').path);
  const b = getNS(makeNamedNS(t, 'nb').path);
  t.teardown(() => (a.close(), b.close()));
  const original = threadNsInode();
  let outerHost: NetNS | undefined;
  a.do((hostA) => {
    outerHost = hostA;
    t.is(hostA.inode, original);
    t.is(threadNsInode(), a.inode);
    b.do((hostB) => {
      t.is(hostB.inode, a.inode);
      t.true(hostB.equals(a));
      t.is(threadNsInode(), b.inode);
    });
    t.is(threadNsInode(), a.inode);
  });
  t.is(threadNsInode(), original);
  t.true(outerHost?.closed);
  const error = t.throws(() => outerHost?.fd, { instanceOf: NetNSClosedError });
  t.is(error?.code, 'ERR_NETNS_CLOSED');
});

test('the same error object propagates from do and the thread is restored', (t) => {
  const ns = getNS(makeNamedNS(t, 'th').path);
  t.teardown(() => ns.close());
  const before = threadNsInode();
  const thrown = new Error('from the callback');
  const caught = t.throws(() =>
    ns.do(() => {
      throw thrown;
    }),
  );
  t.is(caught, thrown);
  t.is(threadNsInode(), before);
  // Also when the throw comes from a nested do.
  const inner = getNS(makeNamedNS(t, 'ti').path);
  t.teardown(() => inner.close());
  t.throws(() => ns.do(() => inner.do(() => { throw thrown; })), { is: thrown });
  t.is(threadNsInode(), before);
});

test('an async callback is refused after the thread is restored', (t) => {
  const ns = getNS(makeNamedNS(t, 'as').path);
  t.teardown(() => ns.close());
  const before = threadNsInode();
  const e1 = t.throws(() => ns.do(async () => 1), { instanceOf: NetNSAsyncCallbackError });
  t.is(e1?.code, 'ERR_NETNS_ASYNC_CALLBACK');
  t.true(e1 instanceof TypeError);
  t.is(threadNsInode(), before);
  const thenable = { then: () => undefined };
  t.throws(() => ns.do(() => thenable), { code: 'ERR_NETNS_ASYNC_CALLBACK' });
  // A rejected promise is refused without an unhandled rejection.
  t.throws(() => ns.do(() => Promise.reject(new Error('late'))), { code: 'ERR_NETNS_ASYNC_CALLBACK' });
  t.is(threadNsInode(), before);
});

test.serial('do returns the callback value and withNetNSPath closes its handle even on throw', (t) => {
  const { path } = makeNamedNS(t, 'wp');
  const before = threadNsInode();
  const fds = openFdCount();
  t.is(withNetNSPath(path, () => threadNsInode()), nsInode(path));
  const thrown = new RangeError('x');
  t.throws(() => withNetNSPath(path, () => { throw thrown; }), { is: thrown });
  t.is(openFdCount(), fds);
  t.is(threadNsInode(), before);
});

test('eight worker threads in eight namespaces with do at once; the main thread is unchanged', async (t) => {
  const paths = Array.from({ length: 8 }, (_, i) => makeNamedNS(t, `w${i}`).path);
  const before = threadNsInode();
  const rounds = 2000;
  const results = await Promise.all(
    paths.map((path) => runWorker<{ inside: number; hostOk: number; before: number; after: number; currentInode: number; tid: number }>('do-worker.js', { path, rounds })),
  );
  for (const r of results) {
    t.is(r.inside, rounds);
    t.is(r.hostOk, rounds);
    t.is(r.after, r.before);
    t.is(r.currentInode, r.before);
    t.not(r.tid, process.pid);
  }
  t.is(threadNsInode(), before);
});

test.serial('after namespaces are used, closed and deleted, no thread of the process is in them', async (t) => {
  const made = [makeNamedNS(t, 'ga'), makeNamedNS(t, 'gb')];
  const inodes = made.map((m) => nsInode(m.path));
  for (const { path } of made) {
    withNetNSPath(path, () => threadNsInode());
    await runWorker('do-worker.js', { path, rounds: 10 });
  }
  for (const { name } of made) spawnSync('ip', ['netns', 'del', name]);
  const threads = allThreadNsInodes();
  t.true(threads.size > 1);
  for (const [tid, ino] of threads) t.false(inodes.includes(ino), `thread ${tid} is in a test namespace`);
});

test('set() moves a worker thread for good; getCurrentNS in a worker is that thread\'s', async (t) => {
  const { path } = makeNamedNS(t, 'set');
  const r = await runWorker<{ thread: number; processMain: number; current: number; currentPath: string }>('set-worker.js', { path });
  t.is(r.thread, nsInode(path));
  t.is(r.current, nsInode(path));
  t.is(r.processMain, threadNsInode());
  t.regex(r.currentPath, new RegExp(`^/proc/${process.pid}/task/\\d+/ns/net$`));
  t.false(r.currentPath.endsWith(`/task/${process.pid}/ns/net`));
});

test('the raw setns enters and leaves through fds, on a worker-free code path', (t) => {
  const ns = getNS(makeNamedNS(t, 'raw').path);
  const home = getCurrentNS();
  t.teardown(() => (ns.close(), home.close()));
  setns(ns.fd, CLONE_NEWNET);
  const inside = threadNsInode();
  setns(home.fd, 0);
  t.is(inside, ns.inode);
  t.is(threadNsInode(), home.inode);
});

test('isNSorErr and getNS tell a missing path, a non-namespace and a wrong type apart', (t) => {
  t.notThrows(() => isNSorErr('/proc/self/ns/net'));
  t.notThrows(() => isNSorErr('/proc/self/ns/mnt'));
  const missing = t.throws(() => isNSorErr('/nonexistent/netns'), { instanceOf: NSPathNotExistError });
  t.is(missing?.code, 'ERR_NETNS_PATH_NOT_EXIST');
  t.is(missing?.path, '/nonexistent/netns');
  const notNs = t.throws(() => isNSorErr('/etc/hostname'), { instanceOf: NSPathNotNSError });
  t.is(notNs?.code, 'ERR_NETNS_PATH_NOT_NS');
  t.throws(() => getNS('/nonexistent/netns'), { instanceOf: NSPathNotExistError });
  t.throws(() => getNS('/etc/hostname'), { instanceOf: NSPathNotNSError });
  t.throws(() => getNS('/proc/self/status'), { instanceOf: NSPathNotNSError });
  const wrong = t.throws(() => getNS('/proc/self/ns/mnt'), { instanceOf: NetNSWrongTypeError });
  t.is(wrong?.code, 'ERR_NETNS_WRONG_TYPE');
  t.is(wrong?.nstype, 0x00020000);
});

test('bad arguments get Node\'s error classes and codes before any native call', (t) => {
  for (const bad of [undefined, 1, {}, null]) {
    t.throws(() => getNS(bad as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' } as never);
    t.throws(() => isNSorErr(bad as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' } as never);
  }
  t.throws(() => getNS(''), { code: 'ERR_INVALID_ARG_VALUE' } as never);
  t.throws(() => getNS('/run/netns/a\0b'), { code: 'ERR_INVALID_ARG_VALUE' } as never);
  const ns = getCurrentNS();
  t.teardown(() => ns.close());
  t.throws(() => ns.do('nope' as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' } as never);
  t.throws(() => withNetNSPath('/proc/self/ns/net', 1 as never), { code: 'ERR_INVALID_ARG_TYPE' } as never);
  t.throws(() => ns.equals({} as never), { code: 'ERR_INVALID_ARG_TYPE' } as never);
  t.throws(() => setns(-1, CLONE_NEWNET), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' } as never);
  t.throws(() => setns(1.5, CLONE_NEWNET), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' } as never);
  t.throws(() => setns('3' as never, CLONE_NEWNET), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' } as never);
  t.throws(() => setns(ns.fd, 2 ** 40), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' } as never);
});

test('kernel errors carry code, errno, syscall and the fd, and leave the thread alone', (t) => {
  const before = threadNsInode();
  const fd = openSync('/etc/hostname', 'r');
  t.teardown(() => closeSync(fd));
  const e = t.throws(() => setns(fd, CLONE_NEWNET), { instanceOf: NetNSSystemError });
  t.is(e?.code, 'EINVAL');
  t.is(e?.errno, -22);
  t.is(e?.syscall, 'setns');
  t.is(e?.fd, fd);
  const mnt = getNS('/proc/self/ns/net');
  t.teardown(() => mnt.close());
  const mntFd = openSync('/proc/self/ns/mnt', 'r');
  t.teardown(() => closeSync(mntFd));
  t.throws(() => setns(mntFd, CLONE_NEWNET), { code: 'EINVAL' } as never);
  t.is(threadNsInode(), before);
});

test('a closed handle refuses every use with ERR_NETNS_CLOSED; close is idempotent; dispose closes', (t) => {
  const ns = getCurrentNS();
  const fd = ns.fd;
  ns.close();
  ns.close();
  t.true(ns.closed);
  t.throws(() => fdFlags(fd)); // the fd is really closed (or reused by something else: not ours)
  for (const use of [() => ns.fd, () => ns.path, () => ns.inode, () => ns.dev, () => ns.do(() => 1), () => ns.set(), () => ns.equals(ns)]) {
    t.throws(use, { instanceOf: NetNSClosedError, code: 'ERR_NETNS_CLOSED' } as never);
  }
  const other = getCurrentNS();
  other[Symbol.dispose]();
  t.true(other.closed);
});

test('every fd the package opens is close-on-exec', (t) => {
  const ns = getNS(makeNamedNS(t, 'cx').path);
  const cur = getCurrentNS();
  t.teardown(() => (ns.close(), cur.close()));
  t.truthy(fdFlags(ns.fd) & O_CLOEXEC);
  t.truthy(fdFlags(cur.fd) & O_CLOEXEC);
  const hostFlags = ns.do((host) => fdFlags(host.fd));
  t.truthy(hostFlags & O_CLOEXEC);
  // And a child really inherits none of them.
  const listing = ns.do(() => spawnSync('ls', ['/proc/self/fd'], { encoding: 'utf8' }).stdout.split('\n').filter(Boolean).map(Number));
  t.false(listing.includes(ns.fd));
  t.false(listing.includes(cur.fd));
});

test.serial('unclosed handles are closed when collected, with a warning naming the path', async (t) => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the tests with --expose-gc (ava nodeArguments)');
  const { path } = makeNamedNS(t, 'gc');
  const warnings: Error[] = [];
  const onWarning = (w: Error) => {
    if ((w as Error & { code?: string }).code === 'NETNS_HANDLE_GC') warnings.push(w);
  };
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const baseline = openFdCount();
  (() => {
    for (let i = 0; i < 3000; i++) getNS(path);
  })();
  t.true(openFdCount() >= baseline + 3000);
  for (let i = 0; i < 50 && openFdCount() > baseline; i++) {
    gc();
    await new Promise((r) => setTimeout(r, 20));
  }
  t.is(openFdCount(), baseline);
  await new Promise((r) => setImmediate(r));
  t.true(warnings.length >= 1);
  t.true(warnings.some((w) => w.message.includes(path)));
});

test('setMark and getMark on a connected socket, a server, a UDP socket and a raw fd', async (t) => {
  const server = net.createServer((s) => s.end());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => server.close());
  setMark(server, 7);
  t.is(getMark(server), 7);
  const client = net.connect((server.address() as net.AddressInfo).port, '127.0.0.1');
  t.teardown(() => client.destroy());
  // Before Node has created the fd: a clear error, not a wrong fd.
  t.throws(() => setMark(client, 1), { code: 'ERR_NETNS_SOCKET_NOT_READY' } as never);
  await once(client, 'connect');
  setMark(client, 0xffffffff);
  t.is(getMark(client), 0xffffffff);
  const udp = dgram.createSocket('udp4');
  t.teardown(() => udp.close());
  t.throws(() => setMark(udp, 1), { code: 'ERR_NETNS_SOCKET_NOT_READY' } as never);
  udp.bind(0, '127.0.0.1');
  await once(udp, 'listening');
  setMark(udp, 42);
  t.is(getMark(udp), 42);
  const file = openSync('/etc/hostname', 'r');
  t.teardown(() => closeSync(file));
  t.throws(() => setMark(file, 1), { instanceOf: NetNSSystemError, code: 'ENOTSOCK' } as never);
});

test('setMark validates the mark and the target', (t) => {
  for (const bad of [-1, 2 ** 32, 1.5, NaN]) t.throws(() => setMark(0, bad), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' } as never);
  t.throws(() => setMark(0, '1' as never), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' } as never);
  t.throws(() => setMark({} as never, 1), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_TYPE' } as never);
  t.throws(() => getMark(-3), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' } as never);
});

test('without CAP_NET_ADMIN and CAP_NET_RAW, setMark is EPERM; without CAP_SYS_ADMIN, do is EPERM', (t) => {
  const { path } = makeNamedNS(t, 'ep');
  const script = `
    const n = require(${JSON.stringify(join(__dirname, '..', 'dist'))});
    const out = {};
    const s = require('node:dgram').createSocket('udp4');
    s.bind(0, '127.0.0.1', () => {
      try { n.setMark(s, 1); } catch (e) { out.mark = [e.code, e.errno, e.syscall]; }
      try { n.getNS(${JSON.stringify(path)}).do(() => 1); } catch (e) { out.setns = [e.code, e.syscall]; }
      s.close();
      console.log(JSON.stringify(out));
    });`;
  const r = spawnSync('setpriv', ['--bounding-set=-net_admin,-net_raw,-sys_admin', '--inh-caps=-net_admin,-net_raw,-sys_admin', process.execPath, '-e', script], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.deepEqual(out.mark, ['EPERM', -1, 'setsockopt']);
  t.deepEqual(out.setns, ['EPERM', 'setns']);
});

test('if switching back fails, the process stops instead of going on in the wrong namespace', (t) => {
  const { path } = makeNamedNS(t, 'ab');
  const r = spawnSync(process.execPath, [fixture('restore-fails.js'), path], { encoding: 'utf8' });
  t.is(r.signal, 'SIGABRT');
  t.false(r.stdout.includes('still running'));
  t.regex(r.stderr, /netns: FATAL/);
});

test('the thread pool is started at load, so a first pool request inside do does not pull it in', (t) => {
  const { path } = makeNamedNS(t, 'pl');
  const r = spawnSync(process.execPath, [fixture('first-pool-request-inside.js'), path], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const { threads } = JSON.parse(r.stdout) as { threads: Record<string, number> };
  const inodes = Object.values(threads);
  t.true(inodes.length >= 5); // main thread, platform workers and the pool's threads
  const target = nsInode(path);
  for (const [tid, ino] of Object.entries(threads)) t.not(ino, target, `thread ${tid} is in the target namespace`);
});

test('the package loads with require and with import, as one instance with the same exports', (t) => {
  const script = `
    import { getNS, NetNS } from 'netns';
    import * as all from 'netns';
    import { createRequire } from 'node:module';
    const cjs = createRequire(import.meta.url)('netns');
    const ns = getNS('/proc/self/ns/net');
    console.log(JSON.stringify({
      sameClass: NetNS === cjs.NetNS,
      instance: ns instanceof cjs.NetNS,
      names: Object.keys(all).filter((k) => k !== 'default').sort(),
      cjsNames: Object.keys(cjs).sort(),
    }));
    ns.close();`;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { cwd: join(__dirname, '..'), encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  t.true(out.sameClass);
  t.true(out.instance);
  t.deepEqual(out.names, out.cjsNames);
  t.true(out.names.includes('withNetNSPath'));
});

test('any thrown value propagates from do unchanged, not only Error objects', (t) => {
  const ns = getNS(makeNamedNS(t, 'nv').path);
  t.teardown(() => ns.close());
  const before = threadNsInode();
  const object = { code: 'X' };
  for (const value of [42, 'boom', undefined, null, object]) {
    let caught: unknown = 'nothing thrown';
    try {
      ns.do(() => {
        throw value;
      });
    } catch (e) {
      caught = e;
    }
    t.is(caught, value);
    t.is(threadNsInode(), before);
  }
});

test('an async function is refused before it runs at all', (t) => {
  const ns = getNS(makeNamedNS(t, 'af').path);
  t.teardown(() => ns.close());
  let ran = false;
  t.throws(() => ns.do(async () => { ran = true; }), { code: 'ERR_NETNS_ASYNC_CALLBACK' } as never);
  t.throws(() => ns.do(async function* gen() { ran = true; } as never), { code: 'ERR_NETNS_ASYNC_CALLBACK' } as never);
  t.false(ran);
});

test('hostNS.path names the caller namespace, not the thread (which is in the target then)', (t) => {
  const ns = getNS(makeNamedNS(t, 'hp').path);
  t.teardown(() => ns.close());
  const original = threadNsInode();
  const reopened = ns.do((host) => {
    const again = getNS(host.path);
    const ino = again.inode;
    again.close();
    return ino;
  });
  t.is(reopened, original);
});

test('bindToDevice checks the device name before the kernel can truncate it', (t) => {
  const udp = dgram.createSocket('udp4');
  t.teardown(() => udp.close());
  for (const bad of ['', 'a'.repeat(16), 'lo\0junk', 'a/b']) {
    t.throws(() => bindToDevice(udp, bad), { code: 'ERR_INVALID_ARG_VALUE' } as never);
  }
});
