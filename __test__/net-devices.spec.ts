/**
 * Links beyond veth pairs, addresses and sysctls, over rtnetlink and /proc/sys/net: moving a
 * link between namespaces (renamed, and refused without moving), a bridge joining three
 * namespaces, setLink against `ip -j link`, addresses() and deleteAddress() against
 * `ip -j addr`, and per-namespace sysctls with the keys that are refused.
 */
import test from 'ava';

import { InvalidArgTypeError, InvalidArgValueError, NetNSSystemError, OutOfRangeError, type LinkChanges, type NetNS } from '../dist';
import { openNS } from './helpers/handles';
import { checkNoThreadLeftBehind, ip, threadNsInode } from './helpers/kernel';
import { echoServer, fetchLine } from './helpers/topology';

checkNoThreadLeftBehind(test);

interface IpLink {
  ifname: string;
  ifindex: number;
  flags: string[];
  mtu: number;
  address: string;
  master?: string;
  txqlen: number;
}

function ipLinks(nsName: string): IpLink[] {
  return JSON.parse(ip('-n', nsName, '-j', 'link', 'show')) as IpLink[];
}

const names = (nsName: string): string[] => ipLinks(nsName).map((l) => l.ifname);

test('moveLink moves a link into another namespace, renamed on the way', (t) => {
  const { ns: a, name: aName } = openNS(t, 'a');
  const { ns: b, name: bName } = openNS(t, 'b');
  a.addVeth('m0', 'm1');
  const before = threadNsInode();
  a.moveLink('m0', b, { name: 'moved0' });
  t.is(threadNsInode(), before);
  t.false(names(aName).includes('m0'));
  t.true(names(bName).includes('moved0'));
  t.true(b.links().some((l) => l.name === 'moved0' && l.kind === 'veth' && !l.up));
  // Without a new name it keeps its own.
  a.moveLink('m1', b);
  t.deepEqual(names(bName).sort(), ['lo', 'm1', 'moved0']);
  t.deepEqual(names(aName), ['lo']);
});

test('a move onto a name taken in the target is EEXIST and leaves the link where it was, up', (t) => {
  const { ns: a, name: aName } = openNS(t, 'a');
  const { ns: b, name: bName } = openNS(t, 'b');
  a.addVeth('m0', 'm1');
  a.setLinkUp('m0');
  b.addVeth('taken', 't1');
  const e = t.throws(() => a.moveLink('m0', b, { name: 'taken' }), { instanceOf: NetNSSystemError });
  t.is(e.code, 'EEXIST');
  t.is(e.syscall, 'RTM_NEWLINK');
  t.is(e.target, 'taken');
  t.true(ipLinks(aName).find((l) => l.ifname === 'm0')!.flags.includes('UP'));
  t.deepEqual(names(bName).sort(), ['lo', 't1', 'taken']);
  // Its own name taken there, with no new name: the kernel refuses, nothing moves either.
  b.addVeth('m1', 'x1');
  t.is(t.throws(() => a.moveLink('m1', b), { instanceOf: NetNSSystemError }).code, 'EEXIST');
  t.true(names(aName).includes('m1'));
  // lo cannot move; a missing link is ENODEV; the target must be a NetNS.
  t.is(t.throws(() => a.moveLink('lo', b), { instanceOf: NetNSSystemError }).code, 'EINVAL');
  t.is(t.throws(() => a.moveLink('nope0', b), { instanceOf: NetNSSystemError }).code, 'ENODEV');
  t.is(t.throws(() => a.moveLink('m0', {} as NetNS), { instanceOf: InvalidArgTypeError }).code, 'ERR_INVALID_ARG_TYPE');
  t.is(t.throws(() => a.moveLink('m0', b, { name: 'a/b' }), { instanceOf: InvalidArgValueError }).code, 'ERR_INVALID_ARG_VALUE');
  t.true(names(aName).includes('m0'));
});

test('a bridge joins three namespaces, with TCP across it', async (t) => {
  const { ns: hub, name: hubName } = openNS(t, 'h');
  hub.addBridge('br0');
  hub.setLink('br0', { up: true });
  const members: NetNS[] = [];
  for (const i of [1, 2, 3]) {
    const { ns } = openNS(t, `m${i}`);
    hub.addVeth(`p${i}`, 'eth0', ns);
    hub.setLink(`p${i}`, { master: 'br0', up: true });
    ns.addAddress('eth0', `10.61.0.${i}/24`);
    ns.setLinkUp('eth0');
    members.push(ns);
  }
  t.deepEqual(
    ipLinks(hubName).filter((l) => l.master === 'br0').map((l) => l.ifname),
    ['p1', 'p2', 'p3'],
  );
  t.like(hub.links().find((l) => l.name === 'br0'), { kind: 'bridge', up: true, master: null });
  t.deepEqual(hub.links().filter((l) => l.master === 'br0').map((l) => l.name), ['p1', 'p2', 'p3']);
  const port = await echoServer(t, members[2], '10.61.0.3');
  t.is(await fetchLine(members[0], { host: '10.61.0.3', port }), 'echo 10.61.0.1');
  t.is(await fetchLine(members[1], { host: '10.61.0.3', port }), 'echo 10.61.0.2');
  // Out of the bridge, a port carries nothing.
  hub.setLink('p1', { master: null });
  t.is(ipLinks(hubName).find((l) => l.ifname === 'p1')!.master, undefined);
});

test('setLink changes mtu, name, address and txQueueLen as ip -j link shows them', (t) => {
  const { ns, name } = openNS(t, 's');
  ns.addVeth('v0', 'v1');
  ns.setLink('v0', { mtu: 1400, name: 'v9', address: '02:00:00:00:00:2a', txQueueLen: 77, up: true });
  const shown = ipLinks(name).find((l) => l.ifname === 'v9')!;
  t.like(shown, { mtu: 1400, address: '02:00:00:00:00:2a', txqlen: 77 });
  t.true(shown.flags.includes('UP'));
  const listed = ns.links().find((l) => l.name === 'v9')!;
  t.like(listed, { index: shown.ifindex, mtu: 1400, address: '02:00:00:00:00:2a', txQueueLen: 77, up: true, kind: 'veth' });
  t.is(ns.links().find((l) => l.name === 'lo')!.address, '00:00:00:00:00:00');

  // A refused change leaves the link as it was: the MTU the kernel had set goes back.
  const e = t.throws(() => ns.setLink('v9', { mtu: 1300, name: 'v1' }), { instanceOf: NetNSSystemError });
  t.is(e.code, 'EEXIST');
  t.is(ipLinks(name).find((l) => l.ifname === 'v9')!.mtu, 1400);
  t.is(t.throws(() => ns.setLink('v9', { mtu: 1 }), { instanceOf: NetNSSystemError }).code, 'EINVAL');
  t.is(t.throws(() => ns.setLink('v9', { master: 'nobr0' }), { instanceOf: NetNSSystemError }).code, 'ENODEV');
  t.is(t.throws(() => ns.setLink('nope0', { up: true }), { instanceOf: NetNSSystemError }).code, 'ENODEV');

  const bad: [unknown, new (...a: never[]) => Error, string][] = [
    [{ mtu: -1 }, OutOfRangeError, 'ERR_OUT_OF_RANGE'],
    [{ txQueueLen: 2 ** 32 }, OutOfRangeError, 'ERR_OUT_OF_RANGE'],
    [{ address: '02:00:00:00:00' }, InvalidArgValueError, 'ERR_INVALID_ARG_VALUE'],
    [{ name: 'x'.repeat(16) }, InvalidArgValueError, 'ERR_INVALID_ARG_VALUE'],
    [{ colour: 'red' }, InvalidArgValueError, 'ERR_INVALID_ARG_VALUE'],
    [{ up: 'yes' }, InvalidArgTypeError, 'ERR_INVALID_ARG_TYPE'],
    [null, InvalidArgTypeError, 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [changes, cls, code] of bad) {
    t.is(t.throws(() => ns.setLink('v9', changes as LinkChanges), { instanceOf: cls }).code, code);
  }
  t.like(ipLinks(name).find((l) => l.ifname === 'v9'), { mtu: 1400, txqlen: 77 });
});

test('addresses() lists IPv4 and IPv6 addresses as ip -j addr does, and deleteAddress removes them', (t) => {
  const { ns, name } = openNS(t, 'd');
  ns.addVeth('v0', 'v1');
  ns.addAddress('v0', '10.62.0.1/24');
  ns.addAddress('v0', 'fd00:62::1/64');
  ns.addAddress('v1', '10.62.0.2/24');
  t.deepEqual(ns.addresses('v0'), [
    { name: 'v0', index: ns.links().find((l) => l.name === 'v0')!.index, cidr: '10.62.0.1/24', address: '10.62.0.1', prefixLen: 24, family: 4, scope: 'global' },
    { name: 'v0', index: ns.links().find((l) => l.name === 'v0')!.index, cidr: 'fd00:62::1/64', address: 'fd00:62::1', prefixLen: 64, family: 6, scope: 'global' },
  ]);
  const shown = (JSON.parse(ip('-n', name, '-j', 'addr', 'show')) as { ifname: string; addr_info: { local: string; prefixlen: number; scope: string }[] }[])
    .flatMap((l) => l.addr_info.map((a) => `${l.ifname} ${a.local}/${a.prefixlen} ${a.scope}`));
  t.deepEqual(ns.addresses().map((a) => `${a.name} ${a.cidr} ${a.scope}`).sort(), shown.sort());
  t.true(shown.includes('lo 127.0.0.1/8 host'));

  ns.deleteAddress('v0', '10.62.0.1/24');
  ns.deleteAddress('v0', 'fd00:62::1/64');
  t.deepEqual(ns.addresses('v0'), []);
  t.is(ns.addresses('v1').length, 1);
  const gone = t.throws(() => ns.deleteAddress('v0', '10.62.0.1/24'), { instanceOf: NetNSSystemError });
  t.is(gone.code, 'EADDRNOTAVAIL');
  t.is(gone.syscall, 'RTM_DELADDR');
  t.is(gone.target, 'v0');
  t.is(t.throws(() => ns.addresses('nope0'), { instanceOf: NetNSSystemError }).code, 'ENODEV');
  t.is(t.throws(() => ns.deleteAddress('v0', '10.62.0.1'), { instanceOf: InvalidArgValueError }).code, 'ERR_INVALID_ARG_VALUE');
});

test('sysctl and setSysctl read and write the namespace own net.* keys, and refuse the rest', (t) => {
  const { ns, name } = openNS(t, 'y');
  ns.addVeth('v0', 'v1');
  const inside = (key: string) => ip('netns', 'exec', name, 'sysctl', '-n', key).trim();
  t.is(ns.sysctl('net.ipv6.conf.all.forwarding'), inside('net.ipv6.conf.all.forwarding'));
  ns.setSysctl('net.ipv6.conf.all.forwarding', '1');
  t.is(inside('net.ipv6.conf.all.forwarding'), '1');
  ns.setSysctl('net.ipv4.conf.v0.rp_filter', 2);
  t.is(ns.sysctl('net.ipv4.conf.v0.rp_filter'), '2');
  t.is(inside('net.ipv4.conf.v0.rp_filter'), '2');
  t.is(ns.sysctl('net.ipv4.ip_local_port_range'), inside('net.ipv4.ip_local_port_range'));

  const missing = t.throws(() => ns.sysctl('net.ipv4.conf.nope0.rp_filter'), { instanceOf: NetNSSystemError });
  t.is(missing.code, 'ENOENT');
  t.is(missing.path, '/proc/sys/net/ipv4/conf/nope0/rp_filter');
  t.is(t.throws(() => ns.setSysctl('net.ipv4.ip_forward', 'x'), { instanceOf: NetNSSystemError }).code, 'EINVAL');
  for (const key of ['kernel.hostname', 'net', 'net.', 'net..ipv4.ip_forward', 'net.ipv4/../../kernel/hostname', 'net.ipv4.conf.all/forwarding', 'vm.swappiness', '/proc/sys/net/ipv4/ip_forward']) {
    t.is(t.throws(() => ns.sysctl(key), { instanceOf: InvalidArgValueError }, key).code, 'ERR_INVALID_ARG_VALUE');
    t.is(t.throws(() => ns.setSysctl(key, '1'), { instanceOf: InvalidArgValueError }, key).code, 'ERR_INVALID_ARG_VALUE');
  }
  t.is(t.throws(() => ns.setSysctl('net.ipv4.ip_forward', {} as string), { instanceOf: InvalidArgTypeError }).code, 'ERR_INVALID_ARG_TYPE');
  t.is(t.throws(() => ns.sysctl(1 as unknown as string), { instanceOf: InvalidArgTypeError }).code, 'ERR_INVALID_ARG_TYPE');
});

test('every networking method of a closed handle is NetNSClosedError', (t) => {
  const { ns: open } = openNS(t, 'o');
  const { ns: closed } = openNS(t, 'c');
  closed.close();
  const calls: (() => unknown)[] = [
    () => closed.addBridge('br0'),
    () => closed.setLink('lo', { up: true }),
    () => closed.moveLink('lo', open),
    () => open.moveLink('lo', closed),
    () => closed.addresses(),
    () => closed.deleteAddress('lo', '127.0.0.1/8'),
    () => closed.addRoute({ to: 'default', type: 'blackhole' }),
    () => closed.replaceRoute({ to: 'default', type: 'blackhole' }),
    () => closed.deleteRoute({ to: 'default' }),
    () => closed.routes(),
    () => closed.addRule({ table: 100, fwmark: 1 }),
    () => closed.deleteRule({ table: 100, fwmark: 1 }),
    () => closed.rules(),
    () => closed.sysctl('net.ipv4.ip_forward'),
    () => closed.setSysctl('net.ipv4.ip_forward', 1),
  ];
  for (const call of calls) t.is(t.throws(call, { instanceOf: Error }).name, 'NetNSClosedError');
});
