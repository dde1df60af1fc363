/**
 * Routes over rtnetlink: real effects on traffic (a routed three-namespace topology, blackhole,
 * unreachable and prohibit routes), round trips checked against `ip -j route`, the kernel's
 * extended ack, argument errors, and no fd or thread left behind by a thousand adds and deletes.
 */
import { readFileSync } from 'node:fs';

import test from 'ava';

import { InvalidArgTypeError, InvalidArgValueError, NetNSSystemError, OutOfRangeError, type Route } from '../dist';
import { openNS } from './helpers/handles';
import { checkNoThreadLeftBehind, ip, openFdCount, threadNsInode } from './helpers/kernel';
import { echoServer, fetchLine, wire } from './helpers/topology';

checkNoThreadLeftBehind(test);

interface IpRoute {
  dst: string;
  gateway?: string;
  dev?: string;
  prefsrc?: string;
  metric?: number;
  type?: string;
  table?: string;
}

function ipRoutes(nsName: string, ...args: string[]): IpRoute[] {
  return JSON.parse(ip('-n', nsName, '-j', ...args, 'route', 'show')) as IpRoute[];
}

test('a routed topology carries TCP through a router with forwarding on, and the host is untouched', async (t) => {
  const hostForward = readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim();
  const { ns: client } = openNS(t, 'c');
  const { ns: router, name: routerName } = openNS(t, 'r');
  const { ns: server } = openNS(t, 's');
  wire(client, 'c0', '10.31.1.2/24', router, 'r-c', '10.31.1.1/24');
  wire(router, 'r-s', '10.31.2.1/24', server, 's0', '10.31.2.2/24');
  const port = await echoServer(t, server, '10.31.2.2');

  // Without routes the client has no way to the server's subnet.
  const before = await fetchLine(client, { host: '10.31.2.2', port }).catch((e: NodeJS.ErrnoException) => e.code);
  t.is(before, 'ENETUNREACH');

  t.is(router.sysctl('net.ipv4.ip_forward'), '0');
  router.setSysctl('net.ipv4.ip_forward', 1);
  t.is(router.sysctl('net.ipv4.ip_forward'), '1');
  t.is(ip('netns', 'exec', routerName, 'sysctl', '-n', 'net.ipv4.ip_forward').trim(), '1');
  client.addRoute({ to: 'default', via: '10.31.1.1' });
  server.addRoute({ to: '10.31.1.0/24', via: '10.31.2.1', dev: 's0' });

  t.is(await fetchLine(client, { host: '10.31.2.2', port }), 'echo 10.31.1.2');
  t.is(readFileSync('/proc/sys/net/ipv4/ip_forward', 'utf8').trim(), hostForward);
});

test('blackhole, unreachable and prohibit routes fail a connect with their codes', async (t) => {
  const { ns, name } = openNS(t, 'b');
  ns.addVeth('v0', 'v1');
  ns.addAddress('v0', '10.32.0.1/24');
  ns.setLinkUp('v0');
  const cases: [Route['type'], string, string][] = [
    ['blackhole', '10.40.0.0/16', 'EINVAL'],
    ['unreachable', '10.41.0.0/16', 'EHOSTUNREACH'],
    ['prohibit', '10.42.0.0/16', 'EACCES'],
  ];
  for (const [type, to, code] of cases) {
    ns.addRoute({ to, type });
    const host = to.replace('0.0/16', '0.9');
    const e = await fetchLine(ns, { host, port: 9 }).catch((err: NodeJS.ErrnoException) => err);
    t.is((e as NodeJS.ErrnoException).code, code, `${type}`);
  }
  t.deepEqual(
    ipRoutes(name).filter((r) => r.type).map((r) => [r.type, r.dst]),
    cases.map(([type, to]) => [type, to]),
  );
});

test('routes() lists what was added, IPv4 and IPv6, as ip -j does, and deleteRoute takes its entries back', (t) => {
  const { ns, name } = openNS(t, 'l');
  ns.addVeth('v0', 'v1');
  ns.addAddress('v0', '10.33.0.1/24');
  ns.addAddress('v0', 'fd00:33::1/64');
  ns.setLinkUp('v0');
  ns.addRoute({ to: 'default', via: '10.33.0.254', metric: 10 });
  ns.addRoute({ to: '10.34.0.0/16', via: '10.33.0.2', dev: 'v0', src: '10.33.0.1' });
  ns.addRoute({ to: 'fd00:35::/48', via: 'fd00:33::2', metric: 7 });
  ns.addRoute({ to: 'default', type: 'unreachable', family: 6, metric: 9 });
  ns.addRoute({ to: '10.36.0.0/16', type: 'blackhole', table: 100 });

  const v4 = ns.routes({ family: 4 });
  t.deepEqual(
    v4.map(({ to, via, dev, src, metric, type }) => ({ to, via, dev, src, metric, type })),
    ipRoutes(name).map((r) => ({ to: r.dst, via: r.gateway, dev: r.dev, src: r.prefsrc, metric: r.metric, type: r.type ?? 'unicast' })),
  );
  t.like(v4.find((r) => r.to === 'default'), { family: 4, via: '10.33.0.254', dev: 'v0', metric: 10, table: 254, protocol: 3 });
  const v6 = ns.routes({ family: 6 });
  t.like(v6.find((r) => r.to === 'fd00:35::/48'), { family: 6, via: 'fd00:33::2', dev: 'v0', metric: 7, type: 'unicast' });
  t.like(v6.find((r) => r.to === 'default'), { family: 6, type: 'unreachable', metric: 9 });
  const ip6 = JSON.parse(ip('-n', name, '-6', '-j', 'route', 'show')) as IpRoute[];
  t.deepEqual(v6.map((r) => r.to).sort(), ip6.map((r) => r.dst).sort());
  t.deepEqual(ns.routes({ table: 100 }), [
    { to: '10.36.0.0/16', family: 4, table: 100, scope: 'global', type: 'blackhole', protocol: 3 },
  ]);
  t.true(ns.routes({ table: 'all' }).some((r) => r.table === 255 && r.type === 'local'));

  // Each listed route can be deleted as it is; the kernel's own subnet routes stay.
  for (const r of [...v4, ...v6, ...ns.routes({ table: 100 })].filter((r) => r.protocol === 3)) ns.deleteRoute(r);
  t.deepEqual(ipRoutes(name).map((r) => r.dst), ['10.33.0.0/24']);
  t.deepEqual(ns.routes({ table: 100 }), []);
  const gone = t.throws(() => ns.deleteRoute({ to: '10.34.0.0/16' }), { instanceOf: NetNSSystemError });
  t.is(gone.code, 'ESRCH');
  t.is(gone.syscall, 'RTM_DELROUTE');
  t.is(gone.target, '10.34.0.0/16');
});

test('replaceRoute changes a route in place and addRoute refuses a duplicate with EEXIST', (t) => {
  const { ns, name } = openNS(t, 'p');
  ns.addVeth('v0', 'v1');
  ns.addAddress('v0', '10.37.0.1/24');
  ns.setLinkUp('v0');
  ns.addRoute({ to: '10.38.0.0/16', via: '10.37.0.2' });
  const dup = t.throws(() => ns.addRoute({ to: '10.38.0.0/16', via: '10.37.0.3' }), { instanceOf: NetNSSystemError });
  t.is(dup.code, 'EEXIST');
  ns.replaceRoute({ to: '10.38.0.0/16', via: '10.37.0.3' });
  t.is(ipRoutes(name).find((r) => r.dst === '10.38.0.0/16')?.gateway, '10.37.0.3');
});

test('a gateway on no link is refused with the kernel extended ack', (t) => {
  const { ns } = openNS(t, 'x');
  const e = t.throws(() => ns.addRoute({ to: 'default', via: '10.9.9.9' }), { instanceOf: NetNSSystemError });
  t.is(e.code, 'ENETUNREACH');
  t.is(e.syscall, 'RTM_NEWROUTE');
  t.is(e.target, 'default');
  t.is(e.detail, 'Nexthop has invalid gateway');
  const nodev = t.throws(() => ns.addRoute({ to: 'default', via: '10.9.9.9', dev: 'nope0' }), { instanceOf: NetNSSystemError });
  t.is(nodev.code, 'ENODEV');
  t.is(nodev.target, 'nope0');
});

test('bad routes are refused before anything is sent', (t) => {
  const { ns, name } = openNS(t, 'a');
  const before = ip('-n', name, '-j', 'route', 'show', 'table', 'all');
  const values: [unknown, string][] = [
    [{ to: '10.0.0.1/33' }, 'route.to'],
    [{ to: '10.0.0.1/24' }, 'route.to'], // host bits
    [{ to: 'fd00::1/64' }, 'route.to'],
    [{ to: 'somewhere' }, 'route.to'],
    [{ to: '10.0.0.0/8', via: 'fd00::1' }, 'route.via'], // mixed families
    [{ to: 'default', src: '10.0.0.1', via: 'fd00::1' }, 'route.src'],
    [{ to: 'default', family: 6, via: '10.0.0.1' }, 'route.via'],
    [{ to: 'default', via: '10.0.0.256' }, 'route.via'],
    [{ to: 'default', type: 'wormhole' }, 'route.type'],
    [{ to: 'default', scope: 'galaxy' }, 'route.scope'],
    [{ to: 'default', table: 'mine' }, 'route.table'],
    [{ to: 'default', family: 5 }, 'route.family'],
    [{ to: 'default', gateway: '10.0.0.1' }, 'route.gateway'], // not an option
    [{ to: 'default', dev: 'a/b' }, 'route.dev'],
  ];
  for (const [route, arg] of values) {
    const e = t.throws(() => ns.addRoute(route as Route), { instanceOf: InvalidArgValueError }, JSON.stringify(route));
    t.is(e.code, 'ERR_INVALID_ARG_VALUE');
    t.true(e.message.includes(`'${arg}`), `${e.message} names ${arg}`);
  }
  for (const route of [{ to: 'default', metric: -1 }, { to: 'default', metric: 2 ** 32 }, { to: 'default', table: 0 }]) {
    t.is(t.throws(() => ns.addRoute(route), { instanceOf: OutOfRangeError }).code, 'ERR_OUT_OF_RANGE');
  }
  t.is(t.throws(() => ns.addRoute(null as unknown as Route), { instanceOf: InvalidArgTypeError }).code, 'ERR_INVALID_ARG_TYPE');
  t.is(t.throws(() => ns.addRoute({} as Route), { instanceOf: InvalidArgTypeError }).code, 'ERR_INVALID_ARG_TYPE');
  t.is(t.throws(() => ns.routes({ family: 5 as 4 }), { instanceOf: InvalidArgValueError }).code, 'ERR_INVALID_ARG_VALUE');
  t.is(ip('-n', name, '-j', 'route', 'show', 'table', 'all'), before);
});

test.serial('1,000 route adds and deletes leave no fd open and no thread in another namespace', (t) => {
  const { ns, name } = openNS(t, 'k');
  ns.addVeth('v0', 'v1');
  ns.addAddress('v0', '10.39.0.1/24');
  ns.setLinkUp('v0');
  const before = threadNsInode();
  const fds = openFdCount();
  for (let i = 0; i < 1000; i++) {
    const route = { to: `10.${100 + (i % 100)}.${i % 256}.0/24`, via: '10.39.0.2' };
    ns.addRoute(route);
    ns.deleteRoute(route);
  }
  t.throws(() => ns.deleteRoute({ to: '10.100.0.0/24' }), { instanceOf: NetNSSystemError });
  t.is(openFdCount(), fds);
  t.is(threadNsInode(), before);
  t.deepEqual(ipRoutes(name).map((r) => r.dst), ['10.39.0.0/24']);
});
