/**
 * ns.http2Connect() (h2c and h2 over TLS) and ns.tlsConnect(), against twin servers: one inside
 * the namespace, one on the same address and port in the host namespace.
 */
import * as http2 from 'node:http2';
import type * as tls from 'node:tls';
import test from 'ava';

import { http2Connect, NetNSClosedError, tlsConnect } from '../dist';
import { checkNoThreadLeftBehind } from './helpers/kernel';
import { dropCert, h2Get as get, makeCert, makeNS, settledSocketFds, socketFdCount, twinServers } from './helpers/servers';

const cert = makeCert();
test.after.always(() => dropCert(cert));

/** Everything a TLS socket receives until it ends. */
function readAll(socket: tls.TLSSocket): Promise<string> {
  return new Promise((resolve, reject) => {
    let body = '';
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => (body += d));
    socket.on('end', () => resolve(body));
    socket.on('error', reject);
  });
}

/** The first 'error' of an emitter. */
function errorOf(emitter: NodeJS.EventEmitter): Promise<NodeJS.ErrnoException> {
  return new Promise((resolve) => emitter.once('error', resolve));
}

test.serial('failed h2 and TLS connections are errors of their own, with no socket fd left open', async (t) => {
  const { port } = await twinServers(t, 'h2c');
  const { ns: empty } = makeNS(t, 'emp');
  const before = socketFdCount();
  // The host has servers on this port; the empty namespace has none: refused, never 'outside'.
  const session = empty.http2Connect(`http://127.0.0.1:${port}`);
  t.is((await errorOf(session)).code, 'ECONNREFUSED');
  const secure = empty.tlsConnect({ host: '127.0.0.1', port, ca: cert.cert });
  t.is((await errorOf(secure)).code, 'ECONNREFUSED');
  const controller = new AbortController();
  const aborted = empty.tlsConnect({ host: '127.0.0.1', port, signal: controller.signal });
  controller.abort();
  t.is((await errorOf(aborted)).name, 'AbortError');
  empty.close(); // and with it the spare sockets its pool made (lib/socketpool.ts)
  t.is(await settledSocketFds(before), before);
});

test('http2Connect over h2c reaches the server inside; http2.connect, the one outside', async (t) => {
  const { ns, port } = await twinServers(t, 'h2c');
  const session = ns.http2Connect(`http://127.0.0.1:${port}`);
  t.teardown(() => session.close());
  t.is(await get(session, '/a'), 'inside /a');
  t.is(await get(session, '/b'), 'inside /b');
  const plain = http2.connect(`http://127.0.0.1:${port}`);
  t.teardown(() => plain.close());
  t.is(await get(plain, '/a'), 'outside /a');
});

test('http2Connect over TLS negotiates h2 with a self-signed CA', async (t) => {
  const { ns, port } = await twinServers(t, 'h2', cert);
  const session = ns.http2Connect(new URL(`https://localhost:${port}`), { ca: cert.cert });
  t.teardown(() => session.close());
  t.is(await get(session, '/tls'), 'inside /tls');
  t.is((session.socket as tls.TLSSocket).alpnProtocol, 'h2');
  const top = http2Connect(`https://127.0.0.1:${port}`, { ca: cert.cert });
  t.teardown(() => top.close());
  t.is(await get(top, '/tls'), 'outside /tls');
});

test('tlsConnect passes servername, ca and ALPNProtocols to tls.connect', async (t) => {
  const { ns, port } = await twinServers(t, 'tls', cert);
  const inside = ns.tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert.cert, ALPNProtocols: ['x-test'] });
  t.is(await readAll(inside), 'inside x-test localhost');
  // SNI defaults to the host name, as it does for Node's https agent.
  const byName = ns.tlsConnect({ host: 'localhost', port, ca: cert.cert });
  t.is(await readAll(byName), 'inside false localhost');
  const outside = tlsConnect({ host: '127.0.0.1', port, servername: 'localhost', ca: cert.cert });
  t.is(await readAll(outside), 'outside false localhost');
  // Without the CA the handshake fails: an error event, not an answer.
  const strict = ns.tlsConnect({ host: '127.0.0.1', port });
  t.regex(String((await errorOf(strict)).code), /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
});

/** A lookup that answers ::1 first, then 127.0.0.1 (the servers listen on 127.0.0.1 only). */
const v6First = (_h: string, o: { all?: boolean }, cb: (...a: unknown[]) => void) =>
  o.all ? cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]) : cb(null, '::1', 6);

test('tlsConnect and http2Connect try every address of a name: ::1 refused, then 127.0.0.1, each inside', async (t) => {
  const tlsTwins = await twinServers(t, 'tls', cert);
  const secure = tlsTwins.ns.tlsConnect({ host: 'localhost', port: tlsTwins.port, ca: cert.cert, lookup: v6First as never });
  t.is(await readAll(secure), 'inside false localhost');
  const h2Twins = await twinServers(t, 'h2', cert);
  const session = h2Twins.ns.http2Connect(`https://localhost:${h2Twins.port}`, { ca: cert.cert, lookup: v6First as never });
  t.teardown(() => session.close());
  t.is(await get(session, '/both'), 'inside /both');
  const h2cTwins = await twinServers(t, 'h2c');
  const plain = h2cTwins.ns.http2Connect(`http://localhost:${h2cTwins.port}`, { lookup: v6First as never });
  t.teardown(() => plain.close());
  t.is(await get(plain, '/plain'), 'inside /plain');
  // Nothing listens inside on this port: the error of the last address, as an 'error' event.
  const { ns: empty } = makeNS(t, 'emp2');
  const refused = empty.tlsConnect({ host: 'localhost', port: tlsTwins.port, ca: cert.cert, lookup: v6First as never });
  t.is((await errorOf(refused)).code, 'ECONNREFUSED');
});

test('bad options are typed errors before any socket exists', (t) => {
  const { ns } = makeNS(t, 'bad');
  const before = socketFdCount();
  t.throws(() => ns.http2Connect(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ns.http2Connect('ftp://127.0.0.1'), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ns.http2Connect('http://127.0.0.1', { createConnection: () => null } as never), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ns.http2Connect('http://127.0.0.1', { mark: 2 ** 32 }), { code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => ns.tlsConnect('x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ns.tlsConnect({ port: 1, socket: {} } as never), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ns.tlsConnect({ port: 1, signal: {} as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ns.tlsConnect({ port: 'x' as never }), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ns.tlsConnect({ port: 1, mark: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  t.is(socketFdCount(), before);
  const tlsConnectOf = ns.tlsConnect;
  ns.close();
  t.throws(() => ns.http2Connect('http://127.0.0.1'), { instanceOf: NetNSClosedError });
  t.throws(() => tlsConnectOf({ host: '127.0.0.1', port: 1 }), { instanceOf: NetNSClosedError });
});

checkNoThreadLeftBehind(test);
