/**
 * The pool of spare sockets a namespace handle keeps: its sockets live in the handle's namespace,
 * it is bounded, it can be off, it closes with the handle (also at garbage collection), it keeps
 * no deleted namespace alive, and none of its fds reaches a child process.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { closeSync, readdirSync } from 'node:fs';
import * as net from 'node:net';

import test, { type ExecutionContext } from 'ava';

import {
  createSocketFd,
  DEFAULT_SOCKET_POOL_SIZE,
  getNS,
  InvalidArgTypeError,
  MAX_SOCKET_POOL_SIZE,
  type NetNS,
  OutOfRangeError,
  setSocketPoolSize,
  socketPoolSize,
} from '../dist';
import { ip, openFdCount, checkNoThreadLeftBehind } from './helpers/kernel';

checkNoThreadLeftBehind(test);

let counter = 0;

/** A named namespace (`bn` + pid + counter) made with ip(8), loopback up, removed on teardown. */
function makeNS(t: ExecutionContext, tag: string): { name: string; path: string } {
  const name = `bn${process.pid.toString(36)}p${++counter}${tag}`;
  ip('netns', 'add', name);
  t.teardown(() => spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' }));
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return { name, path: `/run/netns/${name}` };
}

/** Opens a namespace made for this test; the handle closes on teardown. */
function openNS(t: ExecutionContext, tag: string): NetNS {
  const ns = getNS(makeNS(t, tag).path);
  t.teardown(() => ns.close());
  return ns;
}

/** Sets the pool size for one test and restores it on teardown. */
function poolSize(t: ExecutionContext, size: number): void {
  const before = setSocketPoolSize(size);
  t.teardown(() => setSocketPoolSize(before));
}

/** Polls `check` (with a GC first) until it is true or `ms` have passed. */
async function waitFor(check: () => boolean, ms = 10_000): Promise<boolean> {
  const gc = (globalThis as { gc?: () => void }).gc;
  for (const end = Date.now() + ms; Date.now() < end; ) {
    gc?.();
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return check();
}

/** The fd numbers this process has open now. */
function openFds(): Set<number> {
  return new Set(readdirSync('/proc/self/fd').map(Number));
}

/** A unix stream socket fd connected at once to the abstract name `@name` of `ns`'s namespace. */
function unixConnect(ns: NetNS, name: string): number {
  return createSocketFd(ns, { family: 'unix', kind: 'stream', connectPath: `\0${name}` });
}

test.serial('setSocketPoolSize validates its argument and returns the previous size', (t) => {
  t.is(socketPoolSize(), DEFAULT_SOCKET_POOL_SIZE);
  t.throws(() => setSocketPoolSize(-1), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => setSocketPoolSize(MAX_SOCKET_POOL_SIZE + 1), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => setSocketPoolSize(1.5), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => setSocketPoolSize('2' as never), { instanceOf: InvalidArgTypeError, code: 'ERR_INVALID_ARG_TYPE' });
  t.is(setSocketPoolSize(7), DEFAULT_SOCKET_POOL_SIZE);
  t.is(setSocketPoolSize(DEFAULT_SOCKET_POOL_SIZE), 7);
});

test.serial('NETNS_SOCKET_POOL sets the default; a bad value warns and keeps the default', (t) => {
  const run = (value: string) =>
    spawnSync(process.execPath, ['-e', "process.stdout.write(String(require('./dist').socketPoolSize()))"], {
      env: { ...process.env, NETNS_SOCKET_POOL: value },
      encoding: 'utf8',
    });
  t.is(run('2').stdout, '2');
  t.is(run('0').stdout, '0');
  const bad = run('lots');
  t.is(bad.stdout, String(DEFAULT_SOCKET_POOL_SIZE));
  t.regex(bad.stderr, /NETNS_SOCKET_POOL/);
});

test.serial('every socket, spare or not, lives in the handle namespace: a name that exists only there', (t) => {
  poolSize(t, 3);
  const a = openNS(t, 'a');
  const b = openNS(t, 'b');
  const name = `bn-pool-${process.pid}`;
  const listener = createSocketFd(a, { family: 'unix', kind: 'stream', path: `\0${name}`, backlog: 64 });
  t.teardown(() => closeSync(listener));
  // More sockets than one switch makes, alternating between two handles with pools of their own.
  for (let i = 0; i < 10; i++) {
    closeSync(unixConnect(a, name));
    t.throws(() => unixConnect(b, name), { code: 'ECONNREFUSED' });
  }
  t.throws(() => createSocketFd(null, { family: 'unix', kind: 'stream', connectPath: `\0${name}` }), { code: 'ECONNREFUSED' });
});

test.serial('TCP connections from pooled sockets reach a server that exists only in the namespace', async (t) => {
  poolSize(t, 2);
  const ns = openNS(t, 'c');
  const server = ns.listen(net.createServer((s) => s.end('here')), { host: '127.0.0.1', port: 0 });
  t.teardown(() => server.close());
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as net.AddressInfo;
  for (let i = 0; i < 7; i++) {
    const sock = ns.connect({ host: '127.0.0.1', port });
    let got = '';
    sock.on('data', (d) => (got += d));
    await new Promise((r) => sock.once('close', r));
    t.is(got, 'here');
  }
});

test.serial('the pool is bounded: one switch makes the socket and `size` spares, never more', (t) => {
  poolSize(t, 3);
  const ns = openNS(t, 'd');
  const base = openFdCount();
  const held: number[] = [];
  const spec = { family: 'ipv4', kind: 'dgram' } as const;
  held.push(createSocketFd(ns, spec));
  t.is(openFdCount(), base + 1, 'the first socket of a kind is made alone');
  held.push(createSocketFd(ns, spec));
  t.is(openFdCount(), base + 2 + 3);
  for (let i = 0; i < 3; i++) held.push(createSocketFd(ns, spec));
  t.is(openFdCount(), base + 5, 'the spares were handed out');
  held.push(createSocketFd(ns, spec));
  t.is(openFdCount(), base + 6 + 3, 'empty: the next one switched and made 3 spares again');
  setSocketPoolSize(1);
  held.push(createSocketFd(ns, spec));
  t.is(openFdCount(), base + 7, 'a smaller size closes the spares above it (3 became 1, now handed out)');
  for (const fd of held) closeSync(fd);
  ns.close();
  t.is(openFdCount(), base - 1);
});

test.serial('close() of the handle closes every spare of every family and kind', (t) => {
  poolSize(t, 4);
  const before = openFdCount();
  const ns = getNS(makeNS(t, 'e').path);
  for (const family of ['ipv4', 'ipv6', 'unix'] as const) {
    for (const kind of ['stream', 'dgram'] as const) {
      closeSync(createSocketFd(ns, { family, kind }));
      closeSync(createSocketFd(ns, { family, kind }));
    }
  }
  t.is(openFdCount(), before + 1 + 6 * 4);
  ns.close();
  t.is(openFdCount(), before);
  ns.close();
  t.is(openFdCount(), before);
});

test.serial('off: with size 0 a socket costs one switch and leaves no spare', (t) => {
  poolSize(t, 0);
  const ns = openNS(t, 'f');
  closeSync(createSocketFd(ns, { family: 'ipv4', kind: 'stream' }));
  const base = openFdCount();
  for (let i = 0; i < 3; i++) {
    const fd = createSocketFd(ns, { family: 'ipv4', kind: 'stream' });
    t.is(openFdCount(), base + 1);
    closeSync(fd);
  }
  t.is(openFdCount(), base);
});

test.serial('a failed socket call keeps no spare it made', (t) => {
  poolSize(t, 4);
  const ns = openNS(t, 'g');
  closeSync(createSocketFd(ns, { family: 'ipv4', kind: 'stream' }));
  const base = openFdCount();
  t.throws(() => createSocketFd(ns, { family: 'ipv4', kind: 'stream', device: 'nodev0' }), { code: 'ENODEV' });
  t.is(openFdCount(), base);
});

test.serial('no spare reaches a child process (close-on-exec)', (t) => {
  poolSize(t, 4);
  const ns = openNS(t, 'h');
  closeSync(createSocketFd(ns, { family: 'ipv4', kind: 'stream' }));
  const before = openFds();
  closeSync(createSocketFd(ns, { family: 'ipv4', kind: 'stream' }));
  const spares = [...openFds()].filter((fd) => !before.has(fd));
  t.is(spares.length, 4);
  const inChild = execFileSync('ls', ['/proc/self/fd'], { encoding: 'utf8' }).split('\n').filter(Boolean).map(Number);
  t.deepEqual(spares.filter((fd) => inChild.includes(fd)), []);
});

/** A namespace `x` whose end of a veth pair shows in `peer` while `x` lives; returns the peer end's name. */
function vethInto(t: ExecutionContext, x: NetNS, peer: NetNS): string {
  const tag = `${process.pid.toString(36)}${++counter}`;
  x.addVeth(`bnx${tag}`, `bnp${tag}`, peer);
  return `bnp${tag}`;
}

test.serial('a deleted namespace ends when its handle closes: its spares keep it no longer', async (t) => {
  poolSize(t, 4);
  const { name, path } = makeNS(t, 'i');
  const peer = openNS(t, 'j');
  const x = getNS(path);
  const peerEnd = vethInto(t, x, peer);
  for (let i = 0; i < 2; i++) {
    closeSync(createSocketFd(x, { family: 'unix', kind: 'dgram' }));
    closeSync(createSocketFd(x, { family: 'ipv4', kind: 'stream' }));
  }
  execFileSync('ip', ['netns', 'del', name]);
  await new Promise((r) => setTimeout(r, 200));
  t.true(peer.links().some((l) => l.name === peerEnd), 'the handle keeps the deleted namespace alive');
  x.close();
  t.true(await waitFor(() => !peer.links().some((l) => l.name === peerEnd)), 'the namespace ended with its handle');
});

test.serial('a handle collected without close() closes its spares too', async (t) => {
  poolSize(t, 4);
  const { name, path } = makeNS(t, 'k');
  const peer = openNS(t, 'l');
  const base = openFdCount();
  let peerEnd = '';
  (() => {
    const x = getNS(path);
    peerEnd = vethInto(t, x, peer);
    closeSync(createSocketFd(x, { family: 'ipv6', kind: 'dgram' }));
    closeSync(createSocketFd(x, { family: 'ipv6', kind: 'dgram' }));
  })();
  t.is(openFdCount(), base + 1 + 4);
  execFileSync('ip', ['netns', 'del', name]);
  const warned = new Promise((r) => process.once('warning', r));
  t.true(await waitFor(() => openFdCount() === base), `fds: ${openFdCount()} now, ${base} before`);
  t.true(await waitFor(() => !peer.links().some((l) => l.name === peerEnd)), 'the namespace ended at GC');
  await warned;
});
