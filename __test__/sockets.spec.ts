/**
 * Sockets inside namespaces: ns.connect, ns.listen, ns.createSocket and the agents, against real
 * namespaces and real servers started with `ip netns exec` (not with this package).
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import { closeSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as https from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as net from 'node:net';
import { promisify } from 'node:util';

import test, { type ExecutionContext } from 'ava';

import {
  connect,
  createSocket,
  createSocketFd,
  getMark,
  getNS,
  InvalidArgTypeError,
  InvalidArgValueError,
  listen,
  NetNS,
  NetNSClosedError,
  NetNSReconnectError,
  NetNSSystemError,
  OutOfRangeError,
  setSocketPoolSize,
  socketPoolSize,
} from '../dist';
import { openNS } from './helpers/handles';
import { ip, makeNamedNS, openFdCount, threadNsInode, uniqueName, checkNoThreadLeftBehind } from './helpers/kernel';

checkNoThreadLeftBehind(test);

const execFileP = promisify(execFile);


/** A port nothing on the host listens on right now (the kernel picked it, then it was freed). */
async function freeHostPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as net.AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Starts `node -e script args...` inside a namespace with `ip netns exec`; resolves on 'ready'. */
function startInNS(t: ExecutionContext, nsName: string, script: string, ...args: string[]): Promise<ChildProcess> {
  const child = spawn('ip', ['netns', 'exec', nsName, process.execPath, '-e', script, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += String(d);
      if (out.includes('ready')) resolve(child);
    });
    child.on('exit', (code) => reject(new Error(`server in ${nsName} exited with ${code} before it was ready`)));
  });
}

/** Runs a node client inside a namespace with `ip netns exec` and returns what it printed. */
async function runInNS(nsName: string, script: string, ...args: string[]): Promise<string> {
  const { stdout } = await execFileP('ip', ['netns', 'exec', nsName, process.execPath, '-e', script, ...args]);
  return stdout.trim();
}

/** A TCP client that prints what it receives, or the error code. */
const TCP_CLIENT = `const s = require('net').connect(+process.argv[2], process.argv[1]); let d = '';
s.on('data', (c) => (d += c)); s.on('end', () => console.log(d)); s.on('error', (e) => console.log(e.code));`;
/** An HTTP client that prints the body, or the error code. */
const HTTP_CLIENT = `require('http').get('http://' + process.argv[1] + ':' + process.argv[2] + '/', (r) => {
let d = ''; r.on('data', (c) => (d += c)); r.on('end', () => console.log(d)); }).on('error', (e) => console.log(e.code));`;
/** A UDP client that sends 'ping' and prints the reply, or the error code. */
const UDP_CLIENT = `const s = require('dgram').createSocket('udp4'); s.on('error', (e) => { console.log(e.code); s.close(); });
s.on('message', (m) => { console.log(String(m)); s.close(); });
s.connect(+process.argv[2], process.argv[1], () => s.send('ping'));`;

/** Reads a socket to its end; rejects with its error. */
function readAll(socket: net.Socket): Promise<string> {
  return new Promise((resolve, reject) => {
    let data = '';
    socket.setEncoding('utf8');
    socket.on('data', (c: string) => (data += c));
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

/** The error a socket emits (resolves), or a rejection if it connects instead. */
function errorOf(socket: net.Socket): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve, reject) => {
    socket.on('error', resolve);
    socket.on('connect', () => reject(new Error('connected, expected an error')));
  });
}

function listening(server: net.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    const done = () => resolve((server.address() as net.AddressInfo).port);
    if (server.listening) done();
    else {
      server.once('listening', done);
      server.once('error', reject);
    }
  });
}

function closeServer(server: net.Server | undefined): Promise<void> {
  return new Promise((resolve) => (server?.listening ? server.close(() => resolve()) : resolve()));
}

function httpGet(url: string, agent: http.Agent): Promise<string> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
}

/**
 * Two namespaces joined by a veth pair, addresses 10.201.<n>.1/30 and .2/30 (inside them only).
 * The link is created inside `a` with its peer inside `b`: the host's links are never touched.
 */
let subnet = 0;
function vethPair(t: ExecutionContext): { a: NetNS; b: NetNS; aName: string; bName: string; devA: string; devB: string; ipA: string; ipB: string } {
  const { ns: a, name: aName } = openNS(t, 'va');
  const { ns: b, name: bName } = openNS(t, 'vb');
  subnet += 1;
  const devA = uniqueName('A');
  const devB = uniqueName('B');
  const ipA = `10.201.${subnet}.1`;
  const ipB = `10.201.${subnet}.2`;
  ip('-n', aName, 'link', 'add', devA, 'type', 'veth', 'peer', 'name', devB, 'netns', bName);
  ip('-n', aName, 'addr', 'add', `${ipA}/30`, 'dev', devA);
  ip('-n', bName, 'addr', 'add', `${ipB}/30`, 'dev', devB);
  ip('-n', aName, 'link', 'set', devA, 'up');
  ip('-n', bName, 'link', 'set', devB, 'up');
  return { a, b, aName, bName, devA, devB, ipA, ipB };
}

const NAME_SERVER = `require('net').createServer((s) => s.end(process.argv[1]))
.listen(+process.argv[2], '127.0.0.1', () => console.log('ready'));`;

test('hundreds of interleaved ns.connect calls across three namespaces each reach their own server', async (t) => {
  const port = await freeHostPort();
  const spaces = [openNS(t, 'c1'), openNS(t, 'c2'), openNS(t, 'c3')];
  await Promise.all(spaces.map(({ name }) => startInNS(t, name, NAME_SERVER, name, String(port))));
  const before = threadNsInode();

  const expected: string[] = [];
  const replies: Promise<string>[] = [];
  for (let i = 0; i < 300; i++) {
    const { ns, name } = spaces[i % 3];
    expected.push(name);
    replies.push(readAll(ns.connect({ host: '127.0.0.1', port })));
  }
  t.deepEqual(await Promise.all(replies), expected);
  t.is(threadNsInode(), before);

  // The host has none of these servers.
  const err = await errorOf(net.connect(port, '127.0.0.1'));
  t.is(err.code, 'ECONNREFUSED');
});

test('ns.listen: a net server is reachable from inside its namespace only', async (t) => {
  const { ns, name } = openNS(t, 'l1');
  const server = ns.listen(net.createServer((s) => s.end('from-ns-server')), { host: '127.0.0.1', port: 0 });
  t.teardown(() => closeServer(server));
  const port = await listening(server);
  t.not(port, 0);
  t.is(await runInNS(name, TCP_CLIENT, '127.0.0.1', String(port)), 'from-ns-server');
  t.is((await errorOf(net.connect(port, '127.0.0.1'))).code, 'ECONNREFUSED');
});

test('ns.listen: an http server on the default host (dual stack) is reachable from inside only', async (t) => {
  const { ns, name } = openNS(t, 'l2');
  const server = ns.listen(http.createServer((_q, r) => r.end('http-inside')), { port: 0 });
  t.teardown(() => closeServer(server));
  const port = await listening(server);
  t.is((server.address() as net.AddressInfo).address, '::');
  t.is(await runInNS(name, HTTP_CLIENT, '127.0.0.1', String(port)), 'http-inside');
  t.is(await runInNS(name, HTTP_CLIENT, '[::1]', String(port)), 'http-inside');
  const err = await new Promise<NodeJS.ErrnoException>((resolve) =>
    http.get(`http://127.0.0.1:${port}/`, { agent: false }).on('error', resolve),
  );
  t.is(err.code, 'ECONNREFUSED');
});

test('ns.createSocket: a UDP socket bound inside its namespace answers clients there only', async (t) => {
  const { ns, name } = openNS(t, 'u1');
  const sock = ns.createSocket({ type: 'udp4', address: '127.0.0.1' }, (msg, rinfo) => {
    sock.send(`pong:${msg}`, rinfo.port, rinfo.address);
  });
  t.teardown(() => sock.close());
  const { port, address } = sock.address();
  t.is(address, '127.0.0.1');
  t.not(port, 0);
  t.is(await runInNS(name, UDP_CLIENT, '127.0.0.1', String(port)), 'pong:ping');

  // From the host, the port is closed: a connected UDP socket gets the ICMP error as ECONNREFUSED.
  const host = dgram.createSocket('udp4');
  const code = await new Promise<string | undefined>((resolve) => {
    host.on('error', (e: NodeJS.ErrnoException) => resolve(e.code));
    host.on('message', () => resolve('answered'));
    host.connect(port, '127.0.0.1', () => host.send('ping'));
  });
  host.close();
  t.is(code, 'ECONNREFUSED');
});

test('IPv6 ::1 and the hostname localhost connect inside the namespace', async (t) => {
  const { ns } = openNS(t, 'v6');
  const v6 = ns.listen(net.createServer((s) => s.end('v6')), { host: '::1', port: 0, ipv6Only: true });
  t.teardown(() => closeServer(v6));
  const v6port = await listening(v6);
  const socket = ns.connect({ host: '::1', port: v6port });
  t.is(await readAll(socket), 'v6');
  t.is(socket.remoteFamily, 'IPv6');

  const dual = ns.listen(net.createServer((s) => s.end('by-name')), {});
  t.teardown(() => closeServer(dual));
  const port = await listening(dual);
  let looked = '';
  const byName = ns.connect({
    host: 'localhost',
    port,
    lookup: (host, options, cb) => {
      looked = host;
      return net.isIP(host) ? cb(null, host, net.isIP(host)) : dns.lookup(host, options, cb);
    },
  });
  t.is(await readAll(byName), 'by-name');
  t.is(looked, 'localhost');
  // The host does not listen on that port (dual is inside the namespace only).
  t.is((await errorOf(net.connect({ host: 'localhost', port, autoSelectFamily: false }))).code, 'ECONNREFUSED');
});

test('abstract unix sockets are per namespace', async (t) => {
  const { ns } = openNS(t, 'ab');
  const { ns: other } = openNS(t, 'ac');
  const path = `\0${uniqueName('abs')}`;
  const server = ns.listen(net.createServer((s) => s.end('abstract')), { path });
  t.teardown(() => closeServer(server));
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  t.is(server.address(), path);

  let connected = false;
  const socket = ns.connect({ path }, () => (connected = true));
  t.is(await readAll(socket), 'abstract');
  t.true(connected);

  t.is((await errorOf(net.connect({ path }))).code, 'ECONNREFUSED');
  const elsewhere = other.connect({ path });
  t.is((await errorOf(elsewhere)).code, 'ECONNREFUSED');
  t.throws(() => elsewhere.connect({ path }), { instanceOf: NetNSReconnectError, code: 'ERR_NETNS_RECONNECT' });
});

test('the mark is set before the first packet: a fwmark rule to an unreachable route stops only marked connections', async (t) => {
  const { a, b, aName, ipB } = vethPair(t);
  ip('-n', aName, 'rule', 'add', 'fwmark', '0x2a', 'table', '142');
  ip('-n', aName, 'route', 'add', 'unreachable', ipB, 'table', '142');
  let accepted = 0;
  const server = b.listen(
    net.createServer((s) => {
      accepted += 1;
      s.end('b');
    }),
    { host: ipB, port: 0 },
  );
  t.teardown(() => closeServer(server));
  const port = await listening(server);

  const marked = a.connect({ host: ipB, port, mark: 0x2a });
  t.is((await errorOf(marked)).code, 'EHOSTUNREACH');
  t.is(accepted, 0);
  t.is(await readAll(a.connect({ host: ipB, port })), 'b');
  t.is(await readAll(a.connect({ host: ipB, port, mark: 0x2b })), 'b');
  t.is(accepted, 2);
});

test.serial('device: an http.get through ns.agent() bound to a veth reaches an ns.listen server in another namespace', async (t) => {
  // Pool off: the failed connect below would otherwise use up (close) one of b's spare sockets,
  // and the fd count is to show that the failed call leaves nothing open.
  const poolSize = setSocketPoolSize(0);
  t.teardown(() => setSocketPoolSize(poolSize));
  const { a, b, devA, devB, ipA, ipB } = vethPair(t);
  const server = b.listen(http.createServer((_q, r) => r.end(`hello ${_q.socket.remoteAddress}`)), { host: ipB, port: 0, device: devB });
  t.teardown(() => closeServer(server));
  const port = await listening(server);
  const agent = a.agent({ device: devA });
  t.teardown(() => agent.destroy());
  t.is(await httpGet(`http://${ipB}:${port}/`, agent), `hello ${ipA}`);

  // devA exists in a, not in b: ENODEV from the native call, no fd left open.
  const fds = openFdCount();
  const e = t.throws(() => b.connect({ host: ipA, port, device: devA }), { instanceOf: NetNSSystemError, code: 'ENODEV' });
  t.is(e?.syscall, 'setsockopt');
  t.is(openFdCount(), fds);
});

test('ns.httpsAgent(): TLS over sockets made inside the namespace, reused with keepAlive', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'netns-tls-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'),
    '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore' });
  const cert = readFileSync(join(dir, 'cert.pem'));
  const { ns } = openNS(t, 'tl');
  const server = ns.listen(https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, (q, r) => r.end(`tls ${q.socket.remotePort}`)), { port: 0 });
  t.teardown(() => closeServer(server));
  const port = await listening(server);
  const agent = ns.httpsAgent({ keepAlive: true, ca: cert });
  t.teardown(() => agent.destroy());
  const get = () => new Promise<string>((resolve, reject) =>
    https.get(`https://localhost:${port}/`, { agent }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c));
      res.on('end', () => resolve(body));
    }).on('error', reject));
  const first = await get();
  t.regex(first, /^tls \d+$/);
  t.is(await get(), first, 'the kept-alive socket is reused');
  const err = await new Promise<NodeJS.ErrnoException>((resolve) =>
    https.get(`https://localhost:${port}/`, { ca: cert, agent: false }).on('error', resolve));
  t.is(err.code, 'ECONNREFUSED');
});

test('a failed connect is an error event, a second connect() throws, and nothing connects from the host', async (t) => {
  const { ns } = openNS(t, 'fc');
  // A host server on the port: a socket made in the host namespace by mistake would reach it.
  let hostConnections = 0;
  const hostServer = net.createServer((s) => {
    hostConnections += 1;
    s.destroy();
  });
  t.teardown(() => closeServer(hostServer));
  hostServer.listen(0, '127.0.0.1');
  const port = await listening(hostServer);

  for (const host of ['127.0.0.1', 'localhost']) {
    const socket = ns.connect({ host, port, family: 4 });
    const err = await errorOf(socket);
    t.is(err.code, 'ECONNREFUSED');
    t.throws(() => socket.connect({ host: '127.0.0.1', port }), { instanceOf: NetNSReconnectError, code: 'ERR_NETNS_RECONNECT' });
    t.throws(() => socket.connect(port, '127.0.0.1'), { code: 'ERR_NETNS_RECONNECT' });
  }
  await new Promise((resolve) => setTimeout(resolve, 50));
  t.is(hostConnections, 0);
  // autoSelectFamily would retry on a new socket in the host: it is refused outright.
  t.throws(() => ns.connect({ host: 'localhost', port, autoSelectFamily: true as false }), {
    instanceOf: InvalidArgValueError,
    code: 'ERR_INVALID_ARG_VALUE',
  });
});

// Serial: AVA runs serial tests before the concurrent ones, so no other test opens fds meanwhile.
test.serial('no fds are left behind after 2000 connections', async (t) => {
  const { ns } = openNS(t, 'fd');
  const server = ns.listen(net.createServer((s) => s.end('x')), { host: '127.0.0.1', port: 0 });
  t.teardown(() => closeServer(server));
  const port = await listening(server);
  /** Reads one connection to its end and waits until both of its ends are closed. */
  const oneConnection = async (): Promise<void> => {
    const socket = ns.connect({ host: '127.0.0.1', port });
    const closed = new Promise((resolve) => socket.once('close', resolve));
    t.is(await readAll(socket), 'x');
    await closed;
  };
  const serverDrained = async (): Promise<void> => {
    for (;;) {
      const n = await new Promise<number>((resolve, reject) => server.getConnections((e, c) => (e ? reject(e) : resolve(c))));
      if (n === 0) return;
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
  };
  // One round first, so that lazily opened fds (epoll, pool) exist before counting.
  await oneConnection();
  await serverDrained();
  const before = openFdCount();
  for (let round = 0; round < 40; round++) {
    await Promise.all(Array.from({ length: 50 }, oneConnection));
  }
  await serverDrained();
  // The handle keeps spare sockets (lib/socketpool.ts): the warm-up connection (its second stream
  // socket, after the listener) made itself and `size` spares in one switch, and each later switch
  // makes 1 + size again; so 2000 sockets later, 2000 % (size + 1) of those spares are in use.
  // Not more than that: a leak adds fds. Fewer is fine: tests running alongside close theirs
  // (handles they leaked on purpose are closed whenever GC runs), seen on Node 22 in the matrix.
  const size = socketPoolSize();
  const expected = before - (2000 % (size + 1));
  t.true(openFdCount() <= expected, `fds: ${openFdCount()} now, at most ${expected} expected`);
  ns.close();
  t.true(openFdCount() <= before - 1 - size, 'close() closed the fd of the handle and every spare');
});

test('the top-level functions set mark and device in the calling thread namespace', async (t) => {
  const server = listen(net.createServer((s) => s.end('here')), { host: '127.0.0.1', port: 0, device: 'lo', mark: 9 });
  t.teardown(() => closeServer(server));
  const port = await listening(server);
  t.is(getMark(server), 9);
  const socket = connect({ host: '127.0.0.1', port, mark: 77, device: 'lo' });
  await new Promise((resolve) => socket.once('connect', resolve));
  t.is(getMark(socket), 77);
  t.is(await readAll(socket), 'here');

  const udp = createSocket({ type: 'udp6', address: '::1', mark: 0xffff_ffff });
  t.teardown(() => udp.close());
  t.is(getMark(udp), 0xffff_ffff);
  t.is(udp.address().address, '::1');

  const fd = createSocketFd(null, { family: 'ipv4', kind: 'dgram', mark: 5 });
  t.is(getMark(fd), 5);
  closeSync(fd);
});

test.serial('bad input throws a typed error before any fd is made', async (t) => {
  const { ns } = openNS(t, 'bi');
  const server = net.createServer();
  const fds = openFdCount();
  const cases: [string, () => unknown, { instanceOf: new (...a: never[]) => Error; code: string }][] = [
    ['unknown connect option', () => ns.connect({ host: '127.0.0.1', port: 1, colour: 'red' } as never), { instanceOf: InvalidArgValueError, code: 'ERR_INVALID_ARG_VALUE' }],
    ['unknown listen option', () => ns.listen(server, { prot: 80 } as never), { instanceOf: InvalidArgValueError, code: 'ERR_INVALID_ARG_VALUE' }],
    ['unknown udp option', () => ns.createSocket({ type: 'udp4', adress: '::' } as never), { instanceOf: InvalidArgValueError, code: 'ERR_INVALID_ARG_VALUE' }],
    ['mark too large', () => ns.connect({ host: '127.0.0.1', port: 1, mark: 2 ** 32 }), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' }],
    ['mark negative', () => ns.listen(server, { mark: -1 }), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' }],
    ['mark not an integer', () => ns.createSocket({ type: 'udp4', mark: 1.5 }), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' }],
    ['mark not a number', () => ns.connect({ host: '127.0.0.1', port: 1, mark: '1' as never }), { instanceOf: InvalidArgTypeError, code: 'ERR_INVALID_ARG_TYPE' }],
    ['unknown device (connect)', () => ns.connect({ host: '127.0.0.1', port: 1, device: 'nodev0' }), { instanceOf: NetNSSystemError, code: 'ENODEV' }],
    ['unknown device (listen)', () => ns.listen(server, { device: 'nodev0' }), { instanceOf: NetNSSystemError, code: 'ENODEV' }],
    ['unknown device (udp)', () => ns.createSocket({ type: 'udp4', device: 'nodev0' }), { instanceOf: NetNSSystemError, code: 'ENODEV' }],
    ['device name too long', () => ns.connect({ host: '127.0.0.1', port: 1, device: 'a'.repeat(16) }), { instanceOf: InvalidArgValueError, code: 'ERR_INVALID_ARG_VALUE' }],
    ['connect port too large', () => ns.connect({ host: '127.0.0.1', port: 65536 }), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' }],
    ['connect port missing', () => ns.connect({ host: '127.0.0.1' }), { instanceOf: InvalidArgTypeError, code: 'ERR_INVALID_ARG_TYPE' }],
    ['listen port negative', () => ns.listen(server, { port: -1 }), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' }],
    ['udp port too large', () => ns.createSocket({ type: 'udp4', port: 70000 }), { instanceOf: OutOfRangeError, code: 'ERR_OUT_OF_RANGE' }],
    ['udp type', () => ns.createSocket({ type: 'tcp' as never }), { instanceOf: InvalidArgValueError, code: 'ERR_INVALID_ARG_VALUE' }],
    ['udp address of the other family', () => ns.createSocket({ type: 'udp4', address: '::1' }), { instanceOf: InvalidArgValueError, code: 'ERR_INVALID_ARG_VALUE' }],
    ['listen on something that is not a server', () => ns.listen({} as never, {}), { instanceOf: InvalidArgTypeError, code: 'ERR_INVALID_ARG_TYPE' }],
    ['hints that Node refuses', () => ns.connect({ host: 'localhost', port: 1, hints: 0x7fff }), { instanceOf: TypeError, code: 'ERR_INVALID_ARG_VALUE' }],
    ['local address not an IP', () => ns.connect({ host: '127.0.0.1', port: 1, localAddress: 'localhost' }), { instanceOf: InvalidArgValueError, code: 'ERR_INVALID_ARG_VALUE' }],
  ];
  for (const [what, call, expected] of cases) {
    t.throws(call, expected, what);
    t.is(openFdCount(), fds, what);
  }
  t.false(server.listening);

  ns.close();
  for (const call of [
    () => ns.connect({ host: '127.0.0.1', port: 1 }),
    () => ns.listen(server, {}),
    () => ns.createSocket({ type: 'udp4' }),
    () => ns.agent(),
  ]) {
    t.throws(call, { instanceOf: NetNSClosedError, code: 'ERR_NETNS_CLOSED' });
  }
  t.is(openFdCount(), fds - 1);
});

test('a handle closed while a hostname resolves gives an error event, not a socket elsewhere', async (t) => {
  const { path } = makeNamedNS(t, 'hc');
  const ns = getNS(path);
  const socket = ns.connect({ host: 'localhost', port: 9, lookup: (h, o, cb) => setImmediate(() => cb(null, '127.0.0.1', 4)) });
  ns.close();
  const err = await errorOf(socket);
  t.true(err instanceof NetNSClosedError);
  t.is(err.code, 'ERR_NETNS_CLOSED');
});

test.serial('options that Node itself checks fail before any fd exists, and nothing is closed twice', async (t) => {
  const { ns } = openNS(t, 'rvo');
  await new Promise((r) => setImmediate(r));
  const fds = openFdCount();
  t.throws(() => ns.connect({ host: '127.0.0.1', port: 1, signal: 'x' as never }), { code: 'ERR_INVALID_ARG_TYPE' } as never);
  t.throws(() => ns.connect({ host: '127.0.0.1', port: 1, keepAliveInitialDelay: 'x' as never }), { instanceOf: TypeError } as never);
  for (const size of [2 ** 31, 0, -1, 1.5]) {
    t.throws(() => ns.createSocket({ type: 'udp4', address: '127.0.0.1', recvBufferSize: size }), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' } as never);
    t.throws(() => ns.createSocket({ type: 'udp4', address: '127.0.0.1', sendBufferSize: size }), { instanceOf: RangeError, code: 'ERR_OUT_OF_RANGE' } as never);
  }
  await new Promise((r) => setImmediate(r));
  t.is(openFdCount(), fds);
});

test.serial('ns.listen on a server that already listens is refused before anything is bound', async (t) => {
  const { ns } = openNS(t, 'rvl');
  const server = net.createServer().listen(0, '127.0.0.1');
  t.teardown(() => closeServer(server));
  await listening(server);
  const dir = mkdtempSync(join(tmpdir(), 'netns-listen-'));
  t.teardown(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'sock');
  const fds = openFdCount();
  t.throws(() => ns.listen(server, { path }), { code: 'ERR_SERVER_ALREADY_LISTEN' } as never);
  t.throws(() => ns.listen(server, { port: 0 }), { code: 'ERR_SERVER_ALREADY_LISTEN' } as never);
  t.throws(() => readFileSync(path), { code: 'ENOENT' } as never);
  t.is(openFdCount(), fds);
});

test('createSocketFd refuses options of another family or kind before the kernel sees them', (t) => {
  const { ns } = openNS(t, 'rvf');
  const bad: [object, string][] = [
    [{ family: 'unix', kind: 'stream', address: '127.0.0.1' }, 'spec.address'],
    [{ family: 'unix', kind: 'stream', port: 0 }, 'spec.port'],
    [{ family: 'ipv4', kind: 'stream', path: '/tmp/x' }, 'spec.path'],
    [{ family: 'ipv4', kind: 'stream', connectPath: '/tmp/x' }, 'spec.connectPath'],
    [{ family: 'ipv6', kind: 'stream', address: '127.0.0.1' }, 'spec.address'],
    [{ family: 'ipv4', kind: 'stream', v6Only: true }, 'spec.v6Only'],
    [{ family: 'ipv4', kind: 'dgram', backlog: 5 }, 'spec.backlog'],
  ];
  for (const [spec, name] of bad) {
    const e = t.throws(() => createSocketFd(ns, spec as never), { instanceOf: InvalidArgValueError });
    t.true(e?.message.includes(name), `${JSON.stringify(spec)}: ${e?.message}`);
  }
});

test('an agent reports a socket it cannot make as the request error, not as a throw', async (t) => {
  const { ns } = openNS(t, 'rva');
  const requestError = (agent: http.Agent) =>
    new Promise<NodeJS.ErrnoException>((resolve, reject) => {
      const req = http.get('http://127.0.0.1:1/', { agent }, () => reject(new Error('got a response')));
      req.on('error', resolve);
    });
  const missingDevice = await requestError(ns.agent({ device: 'nodev0x' }));
  t.true(missingDevice instanceof NetNSSystemError);
  t.is(missingDevice.code, 'ENODEV');
  const closed = getNS(makeNamedNS(t, 'rvc').path);
  const agent = closed.agent();
  closed.close();
  t.is((await requestError(agent)).code, 'ERR_NETNS_CLOSED');
});

test('ns.listen refuses to hand a socket to a cluster worker, whose primary would wrap its own fd', (t) => {
  const { path } = makeNamedNS(t, 'rvk');
  const r = execFileSync(process.execPath, [join(__dirname, 'fixtures', 'cluster-listen.js'), path], { encoding: 'utf8', timeout: 30_000 });
  t.deepEqual(JSON.parse(r), { code: 'ERR_NETNS_CLUSTER_WORKER', leaked: 0 });
});
