/**
 * Hostnames given to the sockets of a namespace resolve inside it by default (ns.lookup):
 * ns.connect, ns.listen, ns.agent(), ns.dispatcher() (fetch), ns.http2Connect, ns.createSocket;
 * a `lookup` option still wins.
 */
import * as dns from 'node:dns';
import { once } from 'node:events';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import test, { type ExecutionContext } from 'ava';

import { getNSFromName, type NetNS } from '../dist';
import { makeEtcNS, startZone } from './helpers/etcns';
import { checkNoThreadLeftBehind, ip } from './helpers/kernel';
import { h2Get } from './helpers/servers';

const SVC = '10.55.0.7';

/** A namespace with a DNS server inside that knows only `svc.test` (at an address of its loopback). */
async function zoneNS(t: ExecutionContext): Promise<NetNS> {
  const name = makeEtcNS(t, { 'resolv.conf': 'nameserver 127.0.0.1\noptions timeout:1 attempts:1\n' });
  ip('-n', name, 'addr', 'add', `${SVC}/32`, 'dev', 'lo');
  await startZone(t, name, { 'svc.test': { A: [SVC] } });
  const ns = getNSFromName(name);
  t.teardown(() => ns.close());
  return ns;
}

function listenOn(t: ExecutionContext, ns: NetNS, server: net.Server, host: string): Promise<number> {
  t.teardown(() => server.close());
  ns.listen(server, { host, port: 0 });
  return once(server, 'listening').then(() => (server.address() as net.AddressInfo).port);
}

test('ns.listen and ns.connect with a hostname use the namespace\'s DNS server', async (t) => {
  const ns = await zoneNS(t);
  const server = net.createServer((s) => s.on('error', () => {}).end('hi'));
  const port = await listenOn(t, ns, server, 'svc.test');
  t.is((server.address() as net.AddressInfo).address, SVC);
  const sock = ns.connect({ host: 'svc.test', port });
  t.teardown(() => sock.destroy());
  await once(sock, 'connect');
  t.is(sock.remoteAddress, SVC);
  const [data] = (await once(sock, 'data')) as [Buffer];
  t.is(data.toString(), 'hi');
});

test('ns.agent() with http.get by name reaches the server the namespace names', async (t) => {
  const ns = await zoneNS(t);
  const server = http.createServer((_req, res) => res.end('from svc'));
  const port = await listenOn(t, ns, server, SVC);
  const agent = ns.agent();
  t.teardown(() => agent.destroy());
  const body = await new Promise<string>((resolve, reject) => {
    http
      .get(`http://svc.test:${port}/`, { agent }, (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString()));
        res.on('end', () => resolve(text));
      })
      .on('error', reject);
  });
  t.is(body, 'from svc');
  const err = await new Promise<NodeJS.ErrnoException>((resolve) => {
    http.get(`http://nothing.test:${port}/`, { agent }, () => resolve(new Error('answered'))).on('error', resolve);
  });
  t.like(err as unknown as Record<string, unknown>, { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'nothing.test' });
});

test('fetch through ns.dispatcher() and ns.http2Connect by name reach the server the namespace names', async (t) => {
  const ns = await zoneNS(t);
  const server = http.createServer((_req, res) => res.end('from svc'));
  const port = await listenOn(t, ns, server, SVC);
  const dispatcher = ns.dispatcher();
  t.teardown(() => dispatcher.close());
  const res = await fetch(`http://svc.test:${port}/`, { dispatcher } as RequestInit);
  t.is(await res.text(), 'from svc');
  // A name only the host could know is not found inside: the request fails, nothing connects outside.
  const err = await fetch(`http://nothing.test:${port}/`, { dispatcher } as RequestInit).then(
    () => new Error('answered'),
    (e: Error & { cause?: NodeJS.ErrnoException }) => e.cause,
  );
  t.like(err as unknown as Record<string, unknown>, { code: 'ENOTFOUND', hostname: 'nothing.test' });

  const h2 = http2.createServer((_req, r) => r.end('h2 from svc'));
  const h2port = await listenOn(t, ns, h2, SVC);
  const session = ns.http2Connect(`http://svc.test:${h2port}`);
  t.teardown(() => session.close());
  const body = await h2Get(session, '/');
  t.is(body, 'h2 from svc');
});

test('ns.createSocket sends to a hostname resolved inside the namespace', async (t) => {
  const ns = await zoneNS(t);
  const receiver = ns.createSocket({ type: 'udp4', address: SVC });
  const sender = ns.createSocket('udp4');
  t.teardown(() => {
    receiver.close();
    sender.close();
  });
  const got = once(receiver, 'message');
  sender.send('ping', receiver.address().port, 'svc.test');
  const [msg] = (await got) as [Buffer];
  t.is(msg.toString(), 'ping');
});

test('a lookup option wins; errors are the socket\'s \'error\' event, as dns.lookup gives them', async (t) => {
  const ns = await zoneNS(t);
  const viaHost = ns.connect({ host: 'svc.test', port: 9, lookup: dns.lookup });
  const [hostErr] = (await once(viaHost, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
  t.true(hostErr.code === 'ENOTFOUND' || hostErr.code === 'EAI_AGAIN', String(hostErr.code));
  const unknown = ns.connect({ host: 'nothing.test', port: 9 });
  const [err] = (await once(unknown, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
  t.like(err as unknown as Record<string, unknown>, { code: 'ENOTFOUND', syscall: 'getaddrinfo', hostname: 'nothing.test' });
  const server = net.createServer();
  ns.listen(server, { host: 'nothing.test' });
  const [listenErr] = (await once(server, 'error').catch((e: unknown) => [e])) as [NodeJS.ErrnoException];
  t.is(listenErr.code, 'ENOTFOUND');
  // The host's own resolver never gets the namespace's answer.
  const host = await dns.promises.lookup('svc.test', 4).then((a) => a.address, (e: NodeJS.ErrnoException) => e.code);
  t.not(host, SVC);
});

checkNoThreadLeftBehind(test);
