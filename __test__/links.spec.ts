/**
 * Network devices over rtnetlink: veth pairs between namespaces, up/down, addresses, deletion and
 * listing, checked with `ip -j` (not with this package) and with real traffic between the ends.
 */
import { execFile } from 'node:child_process';
import * as net from 'node:net';
import { promisify } from 'node:util';

import test, { type ExecutionContext } from 'ava';

import {
  createNetNS,
  getNS,
  InvalidArgTypeError,
  InvalidArgValueError,
  NetNS,
  NetNSClosedError,
  NetNSSystemError,
} from '../dist';
import { openNS } from './helpers/handles';
import { ip, makeNamedNS, openFdCount, threadNsInode, checkNoThreadLeftBehind } from './helpers/kernel';

checkNoThreadLeftBehind(test);

const execFileP = promisify(execFile);


interface IpLink {
  ifname: string;
  ifindex: number;
  flags: string[];
  link_netnsid?: number;
}
interface IpAddr {
  ifname: string;
  addr_info: { family: string; local: string; prefixlen: number }[];
}

function ipLinks(nsName: string): IpLink[] {
  return JSON.parse(ip('-n', nsName, '-j', 'link', 'show')) as IpLink[];
}

function ipAddrs(nsName: string, dev: string): { family: string; local: string; prefixlen: number }[] {
  const [entry] = JSON.parse(ip('-n', nsName, '-j', 'addr', 'show', 'dev', dev)) as IpAddr[];
  return entry.addr_info.map(({ family, local, prefixlen }) => ({ family, local, prefixlen }));
}

/** Two namespaces joined by a veth pair, both ends up with 10.7.0.1/30 and 10.7.0.2/30. */
function pair(t: ExecutionContext): { a: NetNS; b: NetNS; aName: string; bName: string } {
  const { ns: a, name: aName } = openNS(t, 'a');
  const { ns: b, name: bName } = openNS(t, 'b');
  a.addVeth('veth-a', 'veth-b', b);
  a.addAddress('veth-a', '10.7.0.1/30');
  b.addAddress('veth-b', '10.7.0.2/30');
  a.setLinkUp('veth-a');
  b.setLinkUp('veth-b');
  return { a, b, aName, bName };
}

test('addVeth puts one end in each namespace, down, as ip sees it', (t) => {
  const { ns: a, name: aName } = openNS(t, 'a');
  const { ns: b, name: bName } = openNS(t, 'b');
  const before = threadNsInode();
  a.addVeth('veth-a', 'veth-b', b);
  t.is(threadNsInode(), before);

  const inA = ipLinks(aName).find((l) => l.ifname === 'veth-a');
  const inB = ipLinks(bName).find((l) => l.ifname === 'veth-b');
  t.truthy(inA);
  t.truthy(inB);
  t.false(inA!.flags.includes('UP'));
  t.is(ipLinks(aName).find((l) => l.ifname === 'veth-b'), undefined);
  t.is(ipLinks(bName).find((l) => l.ifname === 'veth-a'), undefined);
  t.not(inA!.link_netnsid, undefined, 'the peer is in another namespace');

  // links() agrees with ip on names, indexes and state.
  t.deepEqual(
    a.links().map((l) => [l.name, l.index, l.up]),
    ipLinks(aName).map((l) => [l.ifname, l.ifindex, l.flags.includes('UP')]),
  );
});

test('addVeth without peerNS keeps both ends in the namespace', (t) => {
  const { ns, name } = openNS(t, 's');
  ns.addVeth('v0', 'v1');
  const names = ipLinks(name).map((l) => l.ifname);
  t.true(names.includes('v0'));
  t.true(names.includes('v1'));
});

test('setLinkUp and setLinkDown change IFF_UP', (t) => {
  const { ns, name } = openNS(t, 'u');
  ns.addVeth('v0', 'v1');
  ns.setLinkUp('v0');
  t.true(ipLinks(name).find((l) => l.ifname === 'v0')!.flags.includes('UP'));
  t.true(ns.links().find((l) => l.name === 'v0')!.up);
  t.false(ns.links().find((l) => l.name === 'v1')!.up);
  ns.setLinkDown('v0');
  t.false(ipLinks(name).find((l) => l.ifname === 'v0')!.flags.includes('UP'));
  t.false(ns.links().find((l) => l.name === 'v0')!.up);
});

test('addAddress adds IPv4 and IPv6 addresses with their prefix', (t) => {
  const { ns, name } = openNS(t, 'd');
  ns.addVeth('v0', 'v1');
  ns.addAddress('v0', '10.7.1.1/24');
  ns.addAddress('v0', 'fd00:7::1/64');
  const addrs = ipAddrs(name, 'v0');
  t.deepEqual(addrs.find((a) => a.family === 'inet'), { family: 'inet', local: '10.7.1.1', prefixlen: 24 });
  t.deepEqual(addrs.find((a) => a.family === 'inet6' && a.local.startsWith('fd00')), {
    family: 'inet6',
    local: 'fd00:7::1',
    prefixlen: 64,
  });
});

test('deleteLink removes both ends of a pair', (t) => {
  const { ns: a, name: aName } = openNS(t, 'a');
  const { ns: b, name: bName } = openNS(t, 'b');
  a.addVeth('veth-a', 'veth-b', b);
  b.deleteLink('veth-b');
  t.is(ipLinks(aName).find((l) => l.ifname === 'veth-a'), undefined);
  t.is(ipLinks(bName).find((l) => l.ifname === 'veth-b'), undefined);
  t.deepEqual(
    a.links().map((l) => l.name),
    ['lo'],
  );
});

test('a process in one namespace reaches a server in the other over the pair', async (t) => {
  const { b, aName } = pair(t);
  const server = b.listen(
    net.createServer((s) => s.end(`hello ${s.remoteAddress}`)),
    { host: '10.7.0.2', port: 0 },
  );
  t.teardown(() => server.close());
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  // A client that knows nothing of this package, started in the other namespace by ip(8).
  const client = "require('net').connect(+process.argv[1], '10.7.0.2').on('data', (d) => process.stdout.write(d))";
  const { stdout } = await execFileP('ip', ['netns', 'exec', aName, process.execPath, '-e', client, String(port)], {
    timeout: 10_000,
  });
  t.is(stdout, 'hello 10.7.0.1');
});

test('a veth pair carries a TCP connection made with ns.listen and ns.connect', async (t) => {
  const { a, b } = pair(t);
  const server = b.listen(
    net.createServer((s) => s.end('over-veth')),
    { host: '10.7.0.2', port: 0 },
  );
  t.teardown(() => server.close());
  await new Promise<void>((resolve) => server.once('listening', resolve));
  const { port } = server.address() as net.AddressInfo;
  const socket = a.connect({ host: '10.7.0.2', port });
  const chunks: Buffer[] = [];
  socket.on('data', (c: Buffer) => chunks.push(c));
  await new Promise<void>((resolve, reject) => {
    socket.once('end', resolve);
    socket.once('error', reject);
  });
  t.is(Buffer.concat(chunks).toString(), 'over-veth');
  t.is(socket.remoteAddress, '10.7.0.2');
  t.is(socket.localAddress, '10.7.0.1');
});

test('a name in use is EEXIST with the request and device named', (t) => {
  const { ns } = openNS(t, 'e');
  ns.addVeth('v0', 'v1');
  const e = t.throws(() => ns.addVeth('v0', 'v2'), { instanceOf: NetNSSystemError });
  t.is(e.code, 'EEXIST');
  t.is(e.syscall, 'RTM_NEWLINK');
  t.is(e.target, 'v0');
  t.is(e.errno, -17);
  ns.addAddress('v0', '10.7.2.1/24');
  const dup = t.throws(() => ns.addAddress('v0', '10.7.2.1/24'), { instanceOf: NetNSSystemError });
  t.is(dup.code, 'EEXIST');
  t.is(dup.syscall, 'RTM_NEWADDR');
});

test('a missing device is ENODEV for every operation', (t) => {
  const { ns } = openNS(t, 'n');
  const cases: [() => void, string][] = [
    [() => ns.setLinkUp('nope0'), 'RTM_NEWLINK'],
    [() => ns.setLinkDown('nope0'), 'RTM_NEWLINK'],
    [() => ns.deleteLink('nope0'), 'RTM_DELLINK'],
    [() => ns.addAddress('nope0', '10.7.3.1/24'), 'RTM_GETLINK'],
  ];
  for (const [f, syscall] of cases) {
    const e = t.throws(f, { instanceOf: NetNSSystemError });
    t.is(e.code, 'ENODEV');
    t.is(e.syscall, syscall);
    t.is(e.target, 'nope0');
  }
});

test('bad CIDRs, device names and peers are refused before native code', (t) => {
  const { ns, name: nsName } = openNS(t, 'v');
  ns.addVeth('v0', 'v1');
  const bad = ['10.7.0.1', '10.7.0.1/33', 'fd00::1/129', '10.7.0/24', 'host/24', '10.7.0.1/24/1', '10.7.0.1/'];
  bad.push('/24', 'fe80::1%v0/64', '10.7.0.1/ 24', '10.7.0.1/-1', '10.7.0.1/0x10', '');
  for (const cidr of bad) {
    const e = t.throws(() => ns.addAddress('v0', cidr), { instanceOf: InvalidArgValueError }, cidr);
    t.is(e.code, 'ERR_INVALID_ARG_VALUE');
  }
  const notString = t.throws(() => ns.addAddress('v0', 42 as unknown as string), { instanceOf: InvalidArgTypeError });
  t.is(notString.code, 'ERR_INVALID_ARG_TYPE');
  for (const name of ['', 'a/b', 'has space', 'x'.repeat(16), '..']) {
    t.is(t.throws(() => ns.addVeth(name, 'p0'), { instanceOf: InvalidArgValueError }).code, 'ERR_INVALID_ARG_VALUE');
    t.is(t.throws(() => ns.setLinkUp(name), { instanceOf: InvalidArgValueError }).code, 'ERR_INVALID_ARG_VALUE');
  }
  const notNS = t.throws(() => ns.addVeth('p0', 'p1', {} as NetNS), { instanceOf: InvalidArgTypeError });
  t.is(notNS.code, 'ERR_INVALID_ARG_TYPE');
  // Nothing was made by the refused calls.
  t.deepEqual(
    ns.links().map((l) => l.name).sort(),
    ['lo', 'v0', 'v1'],
  );
  t.deepEqual(ipAddrs(nsName, 'v0'), []);
});

test('a closed handle, or a closed peer, is NetNSClosedError', (t) => {
  const { ns } = openNS(t, 'c');
  const { path } = makeNamedNS(t, 'p');
  const peer = getNS(path);
  peer.close();
  t.is(t.throws(() => ns.addVeth('v0', 'v1', peer), { instanceOf: NetNSClosedError }).code, 'ERR_NETNS_CLOSED');
  t.deepEqual(
    ns.links().map((l) => l.name),
    ['lo'],
  );
  const closed = getNS(path);
  closed.close();
  for (const f of [
    () => closed.addVeth('v0', 'v1'),
    () => closed.setLinkUp('lo'),
    () => closed.setLinkDown('lo'),
    () => closed.addAddress('lo', '10.7.4.1/24'),
    () => closed.deleteLink('lo'),
    () => closed.links(),
  ]) {
    t.is(t.throws(f, { instanceOf: NetNSClosedError }).code, 'ERR_NETNS_CLOSED');
  }
});

test('works on anonymous namespaces made by createNetNS()', (t) => {
  const a = createNetNS();
  const b = createNetNS();
  t.teardown(() => {
    a.close();
    b.close();
  });
  a.addVeth('veth-a', 'veth-b', b);
  b.addAddress('veth-b', 'fd00:7::2/64');
  b.setLinkUp('veth-b');
  t.deepEqual(
    b.links().map(({ name, up }) => [name, up]),
    [
      ['lo', false],
      ['veth-b', true],
    ],
  );
  t.deepEqual(
    a.links().map(({ name, up }) => [name, up]),
    [
      ['lo', false],
      ['veth-a', false],
    ],
  );
});

test.serial('no fd leaks and the calling thread stays in its namespace, on success and on error', (t) => {
  const { ns: a } = openNS(t, 'a');
  const { ns: b } = openNS(t, 'b');
  const before = threadNsInode();
  const fds = openFdCount();
  for (let i = 0; i < 20; i++) {
    a.addVeth('veth-a', 'veth-b', b);
    a.addAddress('veth-a', '10.7.5.1/30');
    a.setLinkUp('veth-a');
    t.throws(() => a.addVeth('veth-a', 'veth-b', b), { instanceOf: NetNSSystemError });
    t.throws(() => a.setLinkUp('nope0'), { instanceOf: NetNSSystemError });
    a.links();
    a.deleteLink('veth-a');
  }
  t.is(openFdCount(), fds);
  t.is(threadNsInode(), before);
});
