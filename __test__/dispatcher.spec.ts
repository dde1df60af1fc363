/**
 * ns.dispatcher(): an undici Agent whose connections are made inside the namespace, with Node's
 * global fetch, undici's fetch and request, and setGlobalDispatcher. Every server has a twin on
 * the same address and port in the host namespace that answers 'outside'.
 */
import test from 'ava';
import * as undici from 'undici';

import { dispatcher, NetNSClosedError } from '../dist';
import { checkNoThreadLeftBehind, ip } from './helpers/kernel';
import { dropCert, makeCert, makeNS, settledSocketFds, socketFdCount, twinServers } from './helpers/servers';

const cert = makeCert();
test.after.always(() => dropCert(cert));

/** The tag of an answer "TAG URL REMOTEPORT". */
const tagOf = (body: string): string => body.split(' ')[0];

test.serial('setGlobalDispatcher(ns.dispatcher()) sends global fetch and undici.request from inside; the old one comes back', async (t) => {
  const { ns, port } = await twinServers(t, 'http');
  const previous = undici.getGlobalDispatcher();
  const d = ns.dispatcher();
  t.teardown(() => {
    undici.setGlobalDispatcher(previous);
    return d.close();
  });
  undici.setGlobalDispatcher(d);
  t.is(tagOf(await (await fetch(`http://127.0.0.1:${port}/g`)).text()), 'inside');
  t.is(tagOf(await (await undici.request(`http://127.0.0.1:${port}/r`)).body.text()), 'inside');
  undici.setGlobalDispatcher(previous);
  t.is(tagOf(await (await fetch(`http://127.0.0.1:${port}/g`)).text()), 'outside');
});

test.serial('aborts, connect timeouts, refused connections and closed handles leave no socket fd open', async (t) => {
  const { ns, port } = await twinServers(t, 'http');
  const { ns: empty } = makeNS(t, 'emp');
  const { name: far, ns: farNS } = makeNS(t, 'far');
  // A neighbour that never answers ARP: a SYN to 10.99.0.2 gets no answer for seconds.
  ip('-n', far, 'link', 'add', 'vht0', 'type', 'veth', 'peer', 'name', 'vht1');
  ip('-n', far, 'addr', 'add', '10.99.0.1/24', 'dev', 'vht0');
  ip('-n', far, 'link', 'set', 'vht0', 'up');
  ip('-n', far, 'link', 'set', 'vht1', 'up');
  const before = socketFdCount();

  const d = ns.dispatcher();
  const controller = new AbortController();
  const slow = fetch(`http://127.0.0.1:${port}/slow`, { dispatcher: d, signal: controller.signal });
  setTimeout(() => controller.abort(), 100);
  const aborted = await slow.then(() => undefined, (e: unknown) => e);
  t.is((aborted as { name?: string })?.name, 'AbortError');
  await d.close();

  const timeoutD = farNS.dispatcher({ connect: { timeout: 200 } });
  const timedOut = await t.throwsAsync(fetch('http://10.99.0.2:8080/', { dispatcher: timeoutD }));
  t.is((timedOut?.cause as { code?: string }).code, 'UND_ERR_CONNECT_TIMEOUT');
  await timeoutD.close();

  // The host has a server on this port; the namespace has none: refused, never 'outside'.
  const refusedD = empty.dispatcher();
  const refused = await t.throwsAsync(fetch(`http://127.0.0.1:${port}/`, { dispatcher: refusedD }));
  t.is((refused?.cause as { code?: string }).code, 'ECONNREFUSED');
  await refusedD.close();

  const closedD = ns.dispatcher();
  ns.close();
  const closed = await t.throwsAsync(fetch(`http://127.0.0.1:${port}/`, { dispatcher: closedD }));
  t.true(closed?.cause instanceof NetNSClosedError);
  await closedD.close();

  t.is(await settledSocketFds(before), before);
});

test('global fetch through ns.dispatcher() reaches the server inside; without it, the one outside', async (t) => {
  const { ns, port } = await twinServers(t, 'http');
  const d = ns.dispatcher();
  t.teardown(() => d.close());
  t.is(tagOf(await (await fetch(`http://127.0.0.1:${port}/a`, { dispatcher: d })).text()), 'inside');
  t.is(tagOf(await (await fetch(`http://127.0.0.1:${port}/a`)).text()), 'outside');
});

test("undici's fetch and request reuse one kept-alive connection made inside", async (t) => {
  const { ns, port } = await twinServers(t, 'http');
  const d = ns.dispatcher({ keepAliveTimeout: 10_000, pipelining: 1 });
  t.teardown(() => d.close());
  // A turn of the loop between requests: undici returns a connection to its pool after the body ends.
  const turn = () => new Promise((r) => setTimeout(r, 20));
  const first = await (await undici.request(`http://127.0.0.1:${port}/1`, { dispatcher: d })).body.text();
  await turn();
  const second = await (await undici.request(`http://127.0.0.1:${port}/2`, { dispatcher: d })).body.text();
  await turn();
  const third = await (await undici.fetch(`http://127.0.0.1:${port}/3`, { dispatcher: d })).text();
  t.deepEqual([first, second, third].map(tagOf), ['inside', 'inside', 'inside']);
  // The same client port: one connection, reused.
  const ports = [first, second, third].map((b) => b.split(' ')[2]);
  t.is(new Set(ports).size, 1);
});

test('https with connect.ca: TLS over a socket made inside', async (t) => {
  const { ns, port } = await twinServers(t, 'https', cert);
  const d = ns.dispatcher({ connect: { ca: cert.cert } });
  t.teardown(() => d.close());
  t.is(tagOf(await (await fetch(`https://localhost:${port}/s`, { dispatcher: d })).text()), 'inside');
  t.is(tagOf(await (await undici.request(`https://127.0.0.1:${port}/s`, { dispatcher: d })).body.text()), 'inside');
  // Without the CA the certificate is refused: an error of the request, no answer from anywhere.
  const strict = ns.dispatcher();
  t.teardown(() => strict.close());
  const e = await t.throwsAsync(fetch(`https://localhost:${port}/s`, { dispatcher: strict }));
  t.regex(String((e?.cause as { code?: string }).code), /SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO/);
});

test('localhost reaches a server that listens on 127.0.0.1 only, whatever the order of the answer', async (t) => {
  const { ns, port } = await twinServers(t, 'http');
  const d = ns.dispatcher();
  t.teardown(() => d.close());
  t.is(tagOf(await (await fetch(`http://localhost:${port}/l`, { dispatcher: d })).text()), 'inside');
});

test('top-level dispatcher() connects from the calling thread namespace', async (t) => {
  const { port } = await twinServers(t, 'http');
  const d = dispatcher({ mark: 7 });
  t.teardown(() => d.close());
  t.is(tagOf(await (await fetch(`http://127.0.0.1:${port}/top`, { dispatcher: d })).text()), 'outside');
});

test('bad options are typed errors before anything is made', (t) => {
  const { ns } = makeNS(t, 'bad');
  t.throws(() => ns.dispatcher('x' as never), { code: 'ERR_INVALID_ARG_TYPE' });
  t.throws(() => ns.dispatcher({ connect: (() => {}) as never }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ns.dispatcher({ mark: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  t.throws(() => ns.dispatcher({ device: 'a/b' }), { code: 'ERR_INVALID_ARG_VALUE' });
  t.throws(() => ns.dispatcher({ connect: { timeout: -1 } }), { code: 'ERR_OUT_OF_RANGE' });
  ns.close();
  t.throws(() => ns.dispatcher(), { instanceOf: NetNSClosedError });
});

checkNoThreadLeftBehind(test);

/** Resolves with what `cond` gives once it is true, or false after `ms` (a bound, never a measure). */
async function within(ms: number, cond: () => boolean): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end; ) {
    if (cond()) return true;
    await new Promise((r) => setTimeout(r, 10));
  }
  return cond();
}

test.serial('a fetch aborted while its connection is made closes that socket at once; destroy() does not wait for a connect', async (t) => {
  const { name: far, ns: farNS } = makeNS(t, 'syn');
  // A neighbour that never answers ARP, asked 1000 times: the SYN waits for minutes.
  ip('-n', far, 'link', 'add', 'vsy0', 'type', 'veth', 'peer', 'name', 'vsy1');
  ip('-n', far, 'addr', 'add', '10.98.0.1/24', 'dev', 'vsy0');
  ip('-n', far, 'link', 'set', 'vsy0', 'up');
  ip('-n', far, 'link', 'set', 'vsy1', 'up');
  // /proc/sys shows the namespace of the process that opens it (busybox sysctl lacks -q).
  farNS.execFileSync('sh', ['-c', 'echo 1000 > /proc/sys/net/ipv4/neigh/vsy0/mcast_solicit']);
  const before = socketFdCount();
  const d = farNS.dispatcher({ connectTimeout: 0 });
  const controller = new AbortController();
  const pending = fetch('http://10.98.0.2:8080/', { dispatcher: d, signal: controller.signal }).then(() => undefined, (e: unknown) => e);
  t.true(await within(5000, () => socketFdCount() > before), 'the connecting socket exists');
  controller.abort();
  t.is(((await pending) as { name?: string })?.name, 'AbortError');
  t.true(await within(5000, () => socketFdCount() === before), 'the SYN-ing socket was closed on abort');

  // destroy() with a connect in flight (no abort): prompt, and the socket goes with it.
  const d2 = farNS.dispatcher({ connectTimeout: 0 });
  const second = fetch('http://10.98.0.2:8080/', { dispatcher: d2 }).then(() => undefined, (e: unknown) => e);
  t.true(await within(5000, () => socketFdCount() > before));
  const destroyed = d2.destroy().then(() => true);
  t.true(await Promise.race([destroyed, new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]), 'destroy() settled');
  t.truthy(await second);
  await d.close();
  farNS.close(); // and with it the spare sockets its second socket made (the socket pool)
  t.true(await within(5000, () => socketFdCount() === before));
});
