/**
 * Client libraries users have, through the package: ws (client and server), axios and got through
 * ns.agent(), pg through ns.socket(), http.request and ws through ns.createConnection, and the
 * agent's fallback over the addresses of a hostname. Every server has a twin on the same address
 * and port in the host namespace that answers 'outside'.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import test from 'ava';
import axios from 'axios';
import { Client } from 'pg';
import WebSocket, { WebSocketServer } from 'ws';

import { NetNSReconnectError, type NetNS } from '../dist';
import { checkNoThreadLeftBehind } from './helpers/kernel';
import { makeNS, settledSocketFds, socketFdCount, twinServers } from './helpers/servers';

/** The tag of an answer "TAG URL REMOTEPORT". */
const tagOf = (body: string): string => body.split(' ')[0];

/** Sends one message on a WebSocket and resolves with the first answer. */
function echo(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    ws.once('error', reject);
    ws.once('message', (m) => resolve(String(m)));
    const send = () => ws.send(text);
    if (ws.readyState === WebSocket.OPEN) send();
    else ws.once('open', send);
  });
}

/** A GET with http.request; resolves with the body. */
function httpGet(options: http.RequestOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    http.get(options, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

/** The socket fds of connections that are ESTABLISHED in a namespace, from `ss` run inside it. */
function established(ns: NetNS, port: number): number {
  const out = ns.execFileSync('ss', ['-Htn', 'state', 'established', `( dport = :${port} )`], { encoding: 'utf8' });
  return out.split('\n').filter((l) => l.trim() !== '').length;
}

test.serial('pg with stream: ns.connect(): the refused reconnect destroys the socket, nothing stays ESTABLISHED or open', async (t) => {
  const { ns, port } = await twinServers(t, 'pg');
  const before = socketFdCount();
  const client = new Client({ host: '127.0.0.1', port, user: 'u', database: 'd', stream: () => ns.connect({ host: '127.0.0.1', port }) });
  const e = await t.throwsAsync(client.connect());
  t.true(e instanceof NetNSReconnectError);
  // pg's end() waits for a 'close' listener it never attached (connect() threw): not awaited.
  t.is(await settledSocketFds(before), before);
  t.is(established(ns, port), 0);
});

test.serial('pg with stream: ns.socket(): connect() reaches the server inside, a query answers, end() resolves', async (t) => {
  const { ns, port } = await twinServers(t, 'pg');
  const before = socketFdCount();
  const client = new Client({ host: '127.0.0.1', port, user: 'u', database: 'd', stream: () => ns.socket() });
  await client.connect();
  const result = await client.query('SELECT tag');
  t.deepEqual(result.rows, [{ tag: 'inside' }]);
  await client.end();
  const outside = new Client({ host: '127.0.0.1', port, user: 'u', database: 'd' });
  await outside.connect();
  t.deepEqual((await outside.query('SELECT tag')).rows, [{ tag: 'outside' }]);
  await outside.end();
  t.is(await settledSocketFds(before), before);
});

test('ns.socket(): the second connect() destroys the socket and throws', async (t) => {
  const { ns, port } = await twinServers(t, 'http');
  const socket = ns.socket({ noDelay: true });
  await new Promise<void>((resolve) => socket.connect(port, '127.0.0.1', resolve));
  t.throws(() => socket.connect(port, '127.0.0.1'), { instanceOf: NetNSReconnectError });
  t.true(socket.destroyed);
  // The same for a live socket of ns.connect(): refused and destroyed, its fd closed at once.
  const live = ns.connect({ host: '127.0.0.1', port });
  await new Promise((resolve) => live.once('connect', resolve));
  t.throws(() => live.connect(port, '127.0.0.1'), { instanceOf: NetNSReconnectError });
  t.true(live.destroyed);
  t.throws(() => ns.socket({ fd: 3 } as never), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ns.socket().connect('/tmp/x.sock'), { code: 'ERR_INVALID_ARG_VALUE' });
});

test('ws: a client through ns.agent() and one through ns.createConnection reach the server inside', async (t) => {
  const { ns, port } = await twinServers(t, 'ws');
  const agent = ns.agent();
  t.teardown(() => agent.destroy());
  const viaAgent = new WebSocket(`ws://127.0.0.1:${port}/`, { agent });
  t.teardown(() => viaAgent.terminate());
  t.is(await echo(viaAgent, 'a'), 'inside a');
  // ws passes options net.createConnection would ignore (allowSynchronousEvents, protocol, ...).
  const viaCreate = new WebSocket(`ws://127.0.0.1:${port}/`, { createConnection: ns.createConnection } as WebSocket.ClientOptions);
  t.teardown(() => viaCreate.terminate());
  t.is(await echo(viaCreate, 'b'), 'inside b');
  const plain = new WebSocket(`ws://127.0.0.1:${port}/`);
  t.teardown(() => plain.terminate());
  t.is(await echo(plain, 'c'), 'outside c');
});

test('ws: a WebSocketServer on an http server given to ns.listen() answers inside only', async (t) => {
  const { ns } = makeNS(t, 'wss');
  const server = http.createServer();
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws) => ws.on('message', (m) => ws.send(`served ${m}`)));
  ns.listen(server, { host: '127.0.0.1', port: 0 });
  t.teardown(() => {
    wss.close();
    server.close();
  });
  await new Promise((r) => server.once('listening', r));
  const { port } = server.address() as AddressInfo;
  const client = new WebSocket(`ws://127.0.0.1:${port}/`, { agent: ns.agent() });
  t.teardown(() => client.terminate());
  t.is(await echo(client, 'x'), 'served x');
  const fromHost = new WebSocket(`ws://127.0.0.1:${port}/`);
  const e = await new Promise<NodeJS.ErrnoException>((resolve) => fromHost.once('error', resolve));
  t.is(e.code, 'ECONNREFUSED');
});

test('axios and got through ns.agent() reach the server inside', async (t) => {
  const { ns, port } = await twinServers(t, 'http');
  const agent = ns.agent({ keepAlive: true });
  t.teardown(() => agent.destroy());
  const viaAxios = await axios.get<string>(`http://127.0.0.1:${port}/axios`, { httpAgent: agent, responseType: 'text', proxy: false });
  t.is(tagOf(viaAxios.data), 'inside');
  t.is(tagOf((await axios.get<string>(`http://127.0.0.1:${port}/axios`, { responseType: 'text', proxy: false })).data), 'outside');
  // got is ESM only: a dynamic import (the module name as a value keeps tsc from resolving it as CommonJS).
  type Got = (url: string, options: object) => { text(): Promise<string> };
  const { got } = (await import('got' as string)) as { got: Got };
  t.is(tagOf(await got(`http://127.0.0.1:${port}/got`, { agent: { http: agent } }).text()), 'inside');
  const controller = new AbortController();
  const slow = got(`http://127.0.0.1:${port}/slow`, { agent: { http: agent }, signal: controller.signal }).text();
  setTimeout(() => controller.abort(), 50);
  await t.throwsAsync(slow);
});

test('http.request with createConnection: ns.createConnection, unknown options ignored', async (t) => {
  const { ns, port } = await twinServers(t, 'http');
  const body = await httpGet({ host: '127.0.0.1', port, path: '/cc', protocol: 'http:', createConnection: ns.createConnection });
  t.is(tagOf(body), 'inside');
  t.throws(() => ns.createConnection({ port: 'nope' } as never), { code: 'ERR_INVALID_ARG_TYPE' });
});

test("ns.agent() falls back from ::1 to 127.0.0.1, each attempt inside the namespace", async (t) => {
  const { ns, port } = await twinServers(t, 'http');
  const tried: string[] = [];
  const lookup = ((_host: string, _o: unknown, cb: (e: null, a: { address: string; family: number }[]) => void) => {
    tried.push('lookup');
    cb(null, [{ address: '::1', family: 6 }, { address: '127.0.0.1', family: 4 }]);
  }) as never;
  const agent = ns.agent();
  t.teardown(() => agent.destroy());
  t.is(tagOf(await httpGet({ host: 'twin.test', port, path: '/fb', agent, lookup })), 'inside');
  t.deepEqual(tried, ['lookup']);
  // Nothing answers on ::1 or 127.0.0.1 in an empty namespace: the last error, no answer from outside.
  const { ns: empty } = makeNS(t, 'emp');
  const emptyAgent = empty.agent();
  t.teardown(() => emptyAgent.destroy());
  const e = await t.throwsAsync(httpGet({ host: 'twin.test', port, path: '/fb', agent: emptyAgent, lookup }));
  t.is((e as NodeJS.ErrnoException).code, 'ECONNREFUSED');
});

checkNoThreadLeftBehind(test);
