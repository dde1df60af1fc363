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
    children: [out, syncOut].map((s) => Number(/\\[(\\d+)\\]/.exec(s)[1])), childUid, view,
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
    named: 'ERR_INVALID_ARG_VALUE:TypeError',
  });
  t.is(r.operations.do, 'NetNS.do()');
  t.is(r.operations.setns, 'setns()');
  t.is(r.operations.vethToHost, 'NetNS.addVeth()');
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
