/**
 * Rootless namespaces, proven as an ordinary user: every body runs as uid 65534 with no
 * capabilities at all (helpers/unprivileged.ts), against real servers in real namespaces.
 */
import test from 'ava';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';

import './helpers/kernel';
import { dropCert, makeCert } from './helpers/servers';
import { NOBODY, nobodyDir, runAsUser, runJsonAsUser } from './helpers/unprivileged';

/** Code the bodies share: the helper (a child of this process), its fds, this process's fds. */
const COMMON = `
const fs = require('node:fs');
const { once } = require('node:events');
const children = () => fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => {
  try { return fs.readFileSync('/proc/' + p + '/stat', 'utf8').replace(/^.*\\) /, '').split(' ')[1] === String(process.pid); }
  catch { return false; }
}).map(Number);
const fdCount = () => fs.readdirSync('/proc/self/fd').length;
const inodeOf = (path) => Number(/\\[(\\d+)\\]/.exec(fs.readlinkSync(path))[1]);
`;

interface Network {
  uid: number;
  inodes: number[];
  rootless: boolean[];
  ownerDiffers: boolean;
  echo: string;
  udp: string;
  fetched: string;
  hostHits: number;
  insideHits: number;
  lookup: string;
  lookupByName: string;
  helpersWhileOpen: number;
  helperFds: string[];
  reboundPort: boolean;
  links: string[];
  children: number[];
  shellNets: number[];
  childUid: string;
  view: string[];
  forkNs: number;
  helpersAfter: number[];
  fdsBefore: number;
  fdsAfter: number;
}

test('two rootless namespaces joined by a veth: TCP echo, UDP, fetch, children, lookups, and nothing left after close()', async (t) => {
  const etcDir = nobodyDir('etc');
  const body = `${COMMON}
const net = require('node:net');
const http = require('node:http');
const dgram = require('node:dgram');
const { createNetNS } = require('netns');
(async () => {
  const fdsBefore = fdCount();
  const red = createNetNS({ rootless: true });
  const blue = createNetNS({ rootless: true });
  const helpers = children();
  // What the helper holds: /dev/null on 0-2 and its channel; no fd of ours. Besides, a thread of
  // the helper that switched keeps its own way back (crates/core/src/home.rs): the link of its
  // /proc/<pid>/task/<tid>/ns/net and the helper's own namespace, named here as such.
  // The helper closes its copy of a namespace it made just after sending it, so the listing
  // waits (up to 2 s) for the copies of red and blue to go.
  const helperNet = fs.readlinkSync('/proc/' + helpers[0] + '/ns/net');
  const listHelperFds = () => fs.readdirSync('/proc/' + helpers[0] + '/fd')
    .map((n) => fs.readlinkSync('/proc/' + helpers[0] + '/fd/' + n))
    .map((l) => l === helperNet ? 'own netns' : l.startsWith('/proc/' + helpers[0] + '/task/') && l.endsWith('/ns/net') ? 'own thread link' : l)
    .filter((l, i) => i < 4 || (l !== 'own netns' && l !== 'own thread link'))
    .map((l, i) => i + ' ' + l);
  let helperFds = listHelperFds();
  for (let i = 0; i < 100 && helperFds.length > 4; i++) {
    await new Promise((r) => setTimeout(r, 20));
    helperFds = listHelperFds();
  }
  const ownerDiffers = fs.readlinkSync('/proc/self/ns/user') !== fs.readlinkSync('/proc/' + helpers[0] + '/ns/user');
  for (const ns of [red, blue]) ns.setLinkUp('lo');
  red.addVeth('veth-r', 'veth-b', blue);
  red.addAddress('veth-r', '10.88.0.1/30');
  blue.addAddress('veth-b', '10.88.0.2/30');
  red.setLinkUp('veth-r');
  blue.setLinkUp('veth-b');

  // TCP echo from red to a server in blue.
  const echoServer = blue.listen(net.createServer((c) => c.pipe(c)), { host: '10.88.0.2', port: 0 });
  await once(echoServer, 'listening');
  const client = red.connect({ host: '10.88.0.2', port: echoServer.address().port });
  await once(client, 'connect');
  client.write('ping over veth');
  const [echo] = await once(client, 'data');
  client.destroy();

  // UDP from red to blue.
  const udpIn = blue.createSocket({ type: 'udp4', address: '10.88.0.2', port: 0 });
  const udpOut = red.createSocket({ type: 'udp4' });
  const got = once(udpIn, 'message');
  udpOut.send('datagram', udpIn.address().port, '10.88.0.2');
  const [udp] = await got;
  udpIn.close(); udpOut.close();

  // fetch from red to an HTTP server listening in blue.
  const web = blue.listen(http.createServer((q, s) => s.end('served in blue')), { host: '10.88.0.2', port: 0 });
  await once(web, 'listening');
  const dispatcher = red.dispatcher();
  const fetched = await (await fetch('http://10.88.0.2:' + web.address().port + '/', { dispatcher })).text();
  await dispatcher.close();

  // The same port on the host's 127.0.0.1 and inside red's: a connection from red reaches red's only.
  let hostHits = 0, insideHits = 0;
  const host = net.createServer((c) => { hostHits++; c.end(); }).listen(0, '127.0.0.1');
  await once(host, 'listening');
  const port = host.address().port;
  const inside = red.listen(net.createServer((c) => { insideHits++; c.end('inside'); }), { host: '127.0.0.1', port });
  await once(inside, 'listening');
  const local = red.connect({ host: '127.0.0.1', port }).resume();
  await once(local, 'close');

  // A server closed here frees its port at once: the helper kept no copy of its socket.
  inside.close();
  await once(inside, 'close');
  const again = red.listen(net.createServer(), { host: '127.0.0.1', port });
  const reboundPort = await new Promise((ok) => { again.once('listening', () => ok(true)).once('error', () => ok(false)); });
  again.close(); host.close();

  // Lookups inside, with an etc directory's hosts file over /etc's.
  red.etcDir = ${JSON.stringify(etcDir)};
  const lookup = (await red.promises.lookup('blue.rootless.test')).address;
  const byName = red.connect({ host: 'blue.rootless.test', port: echoServer.address().port });
  await once(byName, 'connect');
  const lookupByName = byName.remoteAddress;
  byName.destroy();

  // Children start inside: async, Sync, and a Node child by fork.
  const child = red.spawn('readlink', ['/proc/self/ns/net']);
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  await once(child, 'close');
  const syncOut = String(blue.execFileSync('readlink', ['/proc/self/ns/net']));
  const childUid = String(red.execSync('id -u')).trim();
  // shell: true and a shell's path: the shell itself runs inside ($$ is the shell that runs the line).
  const shellNets = [
    String(red.spawnSync('readlink /proc/$$/ns/net | cat', { shell: true }).stdout),
    String(red.execSync('readlink /proc/$$/ns/net', { shell: '/bin/sh' })),
  ].map((s) => Number(/\\[(\\d+)\\]/.exec(s)[1]));
  // netnsView: the etcDir files over /etc and a /sys of the namespace, as under ip netns exec.
  const view = String(red.execFileSync('sh', ['-c', 'cat /etc/hosts; ls /sys/class/net'], { netnsView: true })).trim().split('\\n');
  const forked = red.fork(${JSON.stringify(`${etcDir}/child.cjs`)});
  const [forkMsg] = await once(forked, 'message');
  await once(forked, 'exit');

  const links = red.links().map((l) => l.name + (l.up ? ':up' : ':down'));
  const result = {
    uid: process.getuid(), inodes: [red.inode, blue.inode], rootless: [red.rootless, blue.rootless], ownerDiffers,
    echo: String(echo), udp: String(udp), fetched, hostHits, insideHits, lookup, lookupByName,
    helpersWhileOpen: helpers.length, helperFds, reboundPort, links,
    children: [out, syncOut].map((s) => Number(/\\[(\\d+)\\]/.exec(s)[1])), childUid, view, shellNets,
    forkNs: Number(/\\[(\\d+)\\]/.exec(forkMsg)[1]),
  };
  echoServer.close(); web.close();
  await Promise.all([once(echoServer, 'close'), once(web, 'close')]);
  red.close(); blue.close();
  result.helpersAfter = children();
  result.fdsBefore = fdsBefore;
  result.fdsAfter = fdCount();
  console.log(JSON.stringify(result));
})().catch((e) => { console.error(e); process.exit(1); });
`;
  writeFileSync(`${etcDir}/hosts`, '10.88.0.2 blue.rootless.test\n', { mode: 0o644 });
  writeFileSync(`${etcDir}/child.cjs`, "process.send(require('fs').readlinkSync('/proc/self/ns/net'));\n", { mode: 0o644 });
  const r = await runJsonAsUser<Network>(body);
  t.is(r.uid, NOBODY);
  t.not(r.inodes[0], r.inodes[1]);
  t.deepEqual(r.rootless, [true, true]);
  t.true(r.ownerDiffers, 'the helper is in a user namespace of its own');
  t.is(r.helpersWhileOpen, 1, 'one helper for both namespaces');
  t.deepEqual(
    r.helperFds.map((f) => f.replace(/socket:\[\d+\]/, 'socket')),
    ['0 /dev/null', '1 /dev/null', '2 /dev/null', '3 socket'],
  );
  t.is(r.echo, 'ping over veth');
  t.is(r.udp, 'datagram');
  t.is(r.fetched, 'served in blue');
  t.is(r.hostHits, 0, 'the host server on the same port is never reached');
  t.is(r.insideHits, 1);
  t.true(r.reboundPort);
  t.is(r.lookup, '10.88.0.2');
  t.is(r.lookupByName, '10.88.0.2');
  t.deepEqual(r.links, ['lo:up', 'veth-r:up']);
  t.deepEqual(r.children, [r.inodes[0], r.inodes[1]]);
  t.is(r.childUid, '0', 'the child is uid 0 of the user namespace (the same user outside)');
  t.deepEqual(r.shellNets, [r.inodes[0], r.inodes[0]], 'a shell asked for runs inside');
  t.is(r.forkNs, r.inodes[0]);
  t.deepEqual(r.view, ['10.88.0.2 blue.rootless.test', 'lo', 'veth-r']);
  t.deepEqual(r.helpersAfter, [], 'the helper ended with the last handle, and was reaped');
  t.is(r.fdsAfter, r.fdsBefore, 'no fd left');
});

test('every client of a rootless handle reaches servers listening inside: agent, httpsAgent, createConnection, socket(), tlsConnect, http2Connect', async (t) => {
  const cert = makeCert();
  t.teardown(() => dropCert(cert));
  const key = readFileSync(`${cert.dir}/key.pem`, 'utf8');
  const body = `${COMMON}
const http = require('node:http');
const https = require('node:https');
const http2 = require('node:http2');
const tls = require('node:tls');
const net = require('node:net');
const { createNetNS } = require('netns');
const key = ${JSON.stringify(key)}, cert = ${JSON.stringify(cert.cert.toString())};
const listening = async (ns, server) => { ns.listen(server, { host: '127.0.0.1', port: 0 }); await once(server, 'listening'); return server.address().port; };
const body = (res) => new Promise((ok) => { let b = ''; res.setEncoding('utf8').on('data', (d) => (b += d)).on('end', () => ok(b)); });
(async () => {
  const ns = createNetNS({ rootless: true });
  ns.setLinkUp('lo');
  const web = http.createServer((q, r) => r.end('http inside'));
  const secure = https.createServer({ key, cert }, (q, r) => r.end('https inside'));
  const h2c = http2.createServer();
  h2c.on('stream', (st) => { st.respond({ ':status': 200 }); st.end('h2c inside'); });
  const raw = tls.createServer({ key, cert }, (c) => c.end('tls inside'));
  const plain = net.createServer((c) => c.end('socket() inside'));
  const [pWeb, pSecure, pH2c, pRaw, pPlain] = [await listening(ns, web), await listening(ns, secure), await listening(ns, h2c), await listening(ns, raw), await listening(ns, plain)];
  const out = {};
  const agent = ns.agent();
  out.agent = await body((await once(http.get({ host: '127.0.0.1', port: pWeb, agent }), 'response'))[0]);
  agent.destroy();
  const httpsAgent = ns.httpsAgent({ ca: cert });
  out.httpsAgent = await body((await once(https.get({ host: '127.0.0.1', port: pSecure, agent: httpsAgent }), 'response'))[0]);
  httpsAgent.destroy();
  out.createConnection = await body((await once(http.get({ host: '127.0.0.1', port: pWeb, createConnection: ns.createConnection }), 'response'))[0]);
  const s = ns.socket();
  s.connect({ host: '127.0.0.1', port: pPlain });
  s.setEncoding('utf8');
  out.socket = (await once(s, 'data'))[0];
  s.destroy();
  const t = ns.tlsConnect({ host: '127.0.0.1', port: pRaw, ca: cert, servername: 'localhost' });
  t.setEncoding('utf8');
  out.tls = (await once(t, 'data'))[0];
  t.destroy();
  const session = ns.http2Connect('http://127.0.0.1:' + pH2c);
  const req = session.request({ ':path': '/' });
  req.setEncoding('utf8');
  let h2 = '';
  req.on('data', (d) => (h2 += d));
  await once(req, 'end');
  out.http2 = h2;
  session.close();
  for (const server of [web, secure, h2c, raw, plain]) server.close();
  ns.close();
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(e); process.exit(1); });
`;
  const r = await runJsonAsUser<Record<string, string>>(body);
  t.deepEqual(r, {
    agent: 'http inside',
    httpsAgent: 'https inside',
    createConnection: 'http inside',
    socket: 'socket() inside',
    tls: 'tls inside',
    http2: 'h2c inside',
  });
});

test('the helper is gone within a second of its parent being killed with SIGKILL, also when a worker thread started it', async (t) => {
  const dir = nobodyDir('kill');
  // The namespace is made on a worker thread: PR_SET_PDEATHSIG (which follows the forking
  // thread) is not set then, so the end of the channel alone must stop the helper.
  const body = `${COMMON}
const { Worker } = require('node:worker_threads');
const worker = new Worker("const ns = require('netns').createNetNS({ rootless: true }); require('node:worker_threads').parentPort.postMessage(ns.inode); setInterval(() => {}, 1000);", { eval: true });
worker.once('message', () => {
  fs.writeFileSync(${JSON.stringify(`${dir}/pids.json`)}, JSON.stringify({ parent: process.pid, helpers: children() }));
});
`;
  const started = runAsUser(body, { timeoutMs: 30_000 });
  // The body says who it and its helper are, then waits to be killed.
  const file = `${dir}/pids.json`;
  for (let i = 0; i < 400 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 25));
  await new Promise((r) => setTimeout(r, 25));
  const { parent, helpers } = JSON.parse(readFileSync(file, 'utf8')) as { parent: number; helpers: number[] };
  t.is(helpers.length, 1, 'the body started one helper');
  const helper = helpers[0] as number;
  t.true(running(helper));
  t.is(readStat(helper)?.ppid, parent);
  process.kill(parent, 'SIGKILL');
  const r = await started;
  t.is(r.signal, 'SIGKILL');
  const deadline = Date.now() + 1000;
  while (Date.now() < deadline && running(helper)) await new Promise((res) => setTimeout(res, 20));
  t.false(running(helper), 'the helper ended on the end of its channel');
});

interface Refusals {
  codes: Record<string, string>;
  operations: Record<string, string>;
  stillWorks: boolean;
  off: { code: string; reason: string; sysctl: string; errno: number; syscall: string; helpers: number; fds: number[] };
}

test('what needs privilege throws typed errors before anything runs; with user namespaces off, the cause and its fix', async (t) => {
  const body = `${COMMON}
const { createNetNS, getCurrentNS, setns } = require('netns');
const { execFileSync } = require('node:child_process');
const ns = createNetNS({ rootless: true });
const host = getCurrentNS();
const codes = {}, operations = {};
const attempts = {
  do: () => ns.do(() => { throw new Error('ran'); }),
  set: () => ns.set(),
  worker: () => ns.worker('process.exit(9)', { eval: true }),
  resolver: () => ns.resolver(),
  setns: () => setns(ns.fd, 0),
  vethToHost: () => ns.addVeth('mx0', 'mx1', host),
  vethFromHost: () => host.addVeth('mx0', 'mx1', ns),
  moveToHost: () => ns.moveLink('lo', host),
  named: () => createNetNS('x', { rootless: true }),
};
for (const [name, attempt] of Object.entries(attempts)) {
  try { attempt(); codes[name] = 'no error'; } catch (e) { codes[name] = e.code + ':' + e.name; operations[name] = e.operation; }
}
// Nothing of that ran: the namespace is as it was, and still works.
const stillWorks = JSON.stringify(ns.links().map(({ name, index, up }) => ({ name, index, up }))) === JSON.stringify([{ name: 'lo', index: 1, up: false }]);
ns.close(); host.close();

// A user namespace whose user.max_user_namespaces is 0: what a host with user namespaces off gives.
const inner = ${JSON.stringify(`
const fs = require('node:fs');
const { createNetNS } = require('netns');
const before = fs.readdirSync('/proc/self/fd').map(Number);
try { createNetNS({ rootless: true }); console.log('{}'); }
catch (e) {
  const kids = fs.readdirSync('/proc').filter((p) => /^\\d+$/.test(p)).filter((p) => {
    try { return fs.readFileSync('/proc/' + p + '/stat', 'utf8').replace(/^.*\\) /, '').split(' ')[1] === String(process.pid); } catch { return false; }
  });
  const after = fs.readdirSync('/proc/self/fd').map(Number);
  console.log(JSON.stringify({ code: e.code, reason: e.reason, sysctl: e.sysctl, errno: e.errno, syscall: e.syscall,
    helpers: kids.length, fds: after.filter((fd) => !before.includes(fd)) }));
}`)};
const off = JSON.parse(execFileSync('unshare', ['-Ur', 'sh', '-c', 'echo 0 > /proc/sys/user/max_user_namespaces && exec "$0" -e "$1"', process.execPath, inner], { encoding: 'utf8' }));
console.log(JSON.stringify({ codes, operations, stillWorks, off }));
`;
  const r = await runJsonAsUser<Refusals>(body);
  const unsupported = 'ERR_NETNS_ROOTLESS_UNSUPPORTED:NetNSRootlessUnsupportedError';
  const mixed = 'ERR_NETNS_ROOTLESS_MIXED:NetNSRootlessMixedError';
  t.deepEqual(r.codes, {
    do: unsupported,
    set: unsupported,
    worker: unsupported,
    resolver: unsupported,
    setns: unsupported,
    vethToHost: mixed,
    vethFromHost: mixed,
    moveToHost: mixed,
    named: 'ERR_INVALID_ARG_VALUE:TypeError',
  });
  t.is(r.operations.do, 'NetNS.do()');
  t.is(r.operations.setns, 'setns()');
  t.is(r.operations.vethToHost, 'NetNS.addVeth()');
  t.is(r.operations.moveToHost, 'NetNS.moveLink()');
  t.true(r.stillWorks);
  t.deepEqual(r.off, {
    code: 'ERR_NETNS_USERNS_UNAVAILABLE',
    reason: 'max_user_namespaces',
    sysctl: 'user.max_user_namespaces',
    errno: -28,
    syscall: 'unshare',
    helpers: 0,
    fds: [],
  });
});

function readStat(pid: number): { ppid: number } | undefined {
  try {
    return { ppid: Number(readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '').split(' ')[1]) };
  } catch {
    return undefined;
  }
}

/** Whether `pid` runs (a zombie left to an init that does not reap has ended: it holds nothing). */
function running(pid: number): boolean {
  try {
    return !/^\S+ \(.*\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

interface Routed {
  uid: number;
  forward: string[];
  echo: string;
  defaultRoute: unknown;
  marked: string;
  unmarked: string;
  rule: unknown;
  refused: Record<string, unknown>;
  v6Forward: string;
  hidden: string;
  readOnly: string;
  helpersAfter: number[];
}

test('as an ordinary user, three rootless namespaces routed without ip: forwarding by setSysctl, default routes, a fwmark rule, the kernel detail on a refusal', async (t) => {
  const body = `${COMMON}
const net = require('node:net');
const { createNetNS } = require('netns');
const echoServer = async (ns, host) => {
  const server = ns.listen(net.createServer((s) => s.end('echo ' + s.remoteAddress)), { host, port: 0 });
  await once(server, 'listening');
  return server;
};
const fetchLine = (ns, options) => new Promise((ok) => {
  const s = ns.connect(options);
  let got = '';
  s.on('data', (d) => (got += d)).once('end', () => ok(got)).once('error', (e) => ok(e.code));
});
const wire = (a, aDev, aCidr, b, bDev, bCidr) => {
  a.addVeth(aDev, bDev, b);
  a.addAddress(aDev, aCidr); b.addAddress(bDev, bCidr);
  a.setLinkUp(aDev); b.setLinkUp(bDev);
};
(async () => {
  const [client, router, server] = [1, 2, 3].map(() => createNetNS({ rootless: true }));
  for (const ns of [client, router, server]) ns.setLinkUp('lo');
  wire(client, 'c0', '10.61.1.2/24', router, 'r-c', '10.61.1.1/24');
  wire(router, 'r-s', '10.61.2.1/24', server, 's0', '10.61.2.2/24');
  router.setSysctl('net.ipv4.ip_forward', 1);
  const forward = [client, router, server].map((ns) => ns.sysctl('net.ipv4.ip_forward'));

  // A marked socket is steered by a fwmark rule into table 100, whose route reaches a server on
  // the router's loopback; the main table has no such route yet.
  router.addAddress('lo', '10.61.8.1/32');
  const onRouter = await echoServer(router, '10.61.8.1');
  client.addRoute({ to: '10.61.8.0/24', via: '10.61.1.1', table: 100 });
  client.addRule({ fwmark: 0x2a, table: 100, priority: 1000 });
  const target = { host: '10.61.8.1', port: onRouter.address().port };
  const marked = await fetchLine(client, { ...target, mark: 0x2a });
  const unmarked = await fetchLine(client, target);
  const rule = client.rules().find((r) => r.priority === 1000);

  // Default routes both ways through the router: a TCP echo from client to server.
  client.addRoute({ to: 'default', via: '10.61.1.1' });
  server.addRoute({ to: 'default', via: '10.61.2.1' });
  const onServer = await echoServer(server, '10.61.2.2');
  const echo = await fetchLine(client, { host: '10.61.2.2', port: onServer.address().port });
  const defaultRoute = client.routes().find((r) => r.to === 'default');

  // The kernel's refusal, its extended ack included, comes back from the helper.
  const refused = {};
  try { client.addRoute({ to: '10.99.0.0/16', via: '10.98.0.1' }); } catch (e) {
    Object.assign(refused, { name: e.name, code: e.code, syscall: e.syscall, target: e.target, detail: e.detail });
  }
  // Sysctls: another per-namespace key; a key the kernel hides from a namespace that a user
  // namespace other than the initial one owns; a key that is global, read-only in any namespace.
  router.setSysctl('net.ipv6.conf.all.forwarding', '1');
  const v6Forward = router.sysctl('net.ipv6.conf.all.forwarding');
  const codeOf = (f) => { try { f(); return 'no error'; } catch (e) { return e.code; } };
  const hidden = codeOf(() => router.sysctl('net.ipv6.route.gc_thresh'));
  const readOnly = codeOf(() => router.setSysctl('net.core.rmem_max', 1 << 20));

  onRouter.close(); onServer.close();
  await Promise.all([once(onRouter, 'close'), once(onServer, 'close')]);
  for (const ns of [client, router, server]) ns.close();
  console.log(JSON.stringify({ uid: process.getuid(), forward, echo, defaultRoute, marked, unmarked, rule, refused, v6Forward,
    hidden, readOnly, helpersAfter: children() }));
})().catch((e) => { console.error(e); process.exit(1); });
`;
  const r = await runJsonAsUser<Routed>(body);
  t.is(r.uid, NOBODY);
  t.deepEqual(r.forward, ['0', '1', '0'], "forwarding is the router's alone");
  t.is(r.marked, 'echo 10.61.1.2');
  t.is(r.unmarked, 'ENETUNREACH');
  t.deepEqual(r.rule, { family: 4, priority: 1000, table: 100, fwmark: 0x2a, mask: 0xffffffff });
  t.is(r.echo, 'echo 10.61.1.2', 'routed, not translated');
  t.deepEqual(r.defaultRoute, {
    to: 'default',
    family: 4,
    via: '10.61.1.1',
    dev: 'c0',
    table: 254,
    scope: 'global',
    type: 'unicast',
    protocol: 3,
  });
  t.deepEqual(r.refused, {
    name: 'NetNSSystemError',
    code: 'ENETUNREACH',
    syscall: 'RTM_NEWROUTE',
    target: '10.99.0.0/16',
    detail: 'Nexthop has invalid gateway',
  });
  t.is(r.v6Forward, '1');
  t.is(r.hidden, 'ENOENT');
  t.is(r.readOnly, 'EACCES');
  t.deepEqual(r.helpersAfter, []);
});

interface Bridged {
  echoes: string[];
  ports: unknown[];
  moved: { source: string[]; target: string[]; taken: string; sourceAfter: string[]; targetAfter: string[] };
  addresses: string[];
  afterDelete: string[];
  notThere: string;
  helpersAfter: number[];
}

test('as an ordinary user, a bridge joins rootless namespaces; setLink, moveLink with a rename, addresses() and deleteAddress()', async (t) => {
  const body = `${COMMON}
const net = require('node:net');
const { createNetNS } = require('netns');
(async () => {
  const [hub, b, c] = [1, 2, 3].map(() => createNetNS({ rootless: true }));
  // A bridge in hub with a port to each of b and c; the bridge itself has hub's address.
  hub.addBridge('br0');
  hub.addAddress('br0', '10.62.0.1/24');
  hub.setLink('br0', { up: true });
  for (const [ns, port, cidr] of [[b, 'p-b', '10.62.0.2/24'], [c, 'p-c', '10.62.0.3/24']]) {
    hub.addVeth(port, 'e0', ns);
    hub.setLink(port, { master: 'br0', up: true });
    ns.addAddress('e0', cidr);
    ns.setLinkUp('e0');
  }
  hub.setLink('p-b', { mtu: 1400, name: 'port-b' });
  const ports = hub.links().filter((l) => l.kind === 'veth').map(({ name, mtu, up, master }) => ({ name, mtu, up, master }));

  // TCP across the bridge: b to c, and hub to c.
  const server = c.listen(net.createServer((s) => s.end('echo ' + s.remoteAddress)), { host: '10.62.0.3', port: 0 });
  await once(server, 'listening');
  const echoes = [];
  for (const from of [b, hub]) {
    const s = from.connect({ host: '10.62.0.3', port: server.address().port });
    let got = '';
    s.on('data', (d) => (got += d));
    await once(s, 'end');
    echoes.push(got);
  }
  server.close();

  // A link moved from b to c, renamed on the way; a move onto a name c has is EEXIST and leaves it in b.
  const names = (ns) => ns.links().map((l) => l.name).sort();
  b.addVeth('m0', 'm1');
  b.moveLink('m1', c, { name: 'moved0' });
  const moved = { source: names(b), target: names(c) };
  b.addVeth('m2', 'm3');
  try { b.moveLink('m3', c, { name: 'moved0' }); moved.taken = 'no error'; } catch (e) { moved.taken = e.code; }
  Object.assign(moved, { sourceAfter: names(b), targetAfter: names(c) });

  // Addresses, IPv4 and IPv6, listed per device and deleted.
  b.addAddress('m0', '10.63.0.1/24');
  b.addAddress('m0', 'fd00:63::1/64');
  const addresses = b.addresses('m0').map((a) => a.cidr + ' ' + a.family + ' ' + a.scope);
  b.deleteAddress('m0', '10.63.0.1/24');
  const afterDelete = b.addresses('m0').map((a) => a.cidr);
  let notThere = 'no error';
  try { b.deleteAddress('m0', '10.63.0.1/24'); } catch (e) { notThere = e.code; }

  for (const ns of [hub, b, c]) ns.close();
  console.log(JSON.stringify({ echoes, ports, moved, addresses, afterDelete, notThere, helpersAfter: children() }));
})().catch((e) => { console.error(e); process.exit(1); });
`;
  const r = await runJsonAsUser<Bridged>(body);
  t.deepEqual(r.echoes, ['echo 10.62.0.2', 'echo 10.62.0.1']);
  t.deepEqual(r.ports, [
    { name: 'port-b', mtu: 1400, up: true, master: 'br0' },
    { name: 'p-c', mtu: 1500, up: true, master: 'br0' },
  ]);
  t.deepEqual(r.moved, {
    source: ['e0', 'lo', 'm0'],
    target: ['e0', 'lo', 'moved0'],
    taken: 'EEXIST',
    sourceAfter: ['e0', 'lo', 'm0', 'm2', 'm3'],
    targetAfter: ['e0', 'lo', 'moved0'],
  });
  t.deepEqual(r.addresses, ['10.63.0.1/24 4 global', 'fd00:63::1/64 6 global']);
  t.deepEqual(r.afterDelete, ['fd00:63::1/64']);
  t.is(r.notThere, 'EADDRNOTAVAIL');
  t.deepEqual(r.helpersAfter, []);
});
