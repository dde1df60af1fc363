/**
 * Policy rules over rtnetlink: a fwmark rule routes the sockets `ns.connect({ mark })` marks
 * into a table of their own, checked with traffic and against `ip -j rule`; argument errors.
 */
import test from 'ava';

import { InvalidArgTypeError, InvalidArgValueError, NetNSSystemError, OutOfRangeError, type Rule } from '../dist';
import { openNS } from './helpers/handles';
import { checkNoThreadLeftBehind, ip } from './helpers/kernel';
import { echoServer, fetchLine, wire } from './helpers/topology';

checkNoThreadLeftBehind(test);

interface IpRule {
  priority: number;
  src: string;
  srclen?: number;
  dst?: string;
  fwmark?: string;
  fwmask?: string;
  table: string;
}

function ipRules(nsName: string, family = '-4'): IpRule[] {
  return JSON.parse(ip('-n', nsName, family, '-j', 'rule', 'show')) as IpRule[];
}

test('a fwmark rule routes marked sockets into a table that reaches the server; unmarked ones get ENETUNREACH', async (t) => {
  const { ns: client, name } = openNS(t, 'c');
  const { ns: server } = openNS(t, 's');
  wire(client, 'c0', '10.51.1.2/24', server, 's0', '10.51.1.1/24');
  server.addAddress('lo', '10.51.9.1/32');
  const port = await echoServer(t, server, '10.51.9.1');

  client.addRoute({ to: '10.51.9.0/24', via: '10.51.1.1', table: 100 });
  client.addRule({ fwmark: 0x2a, table: 100, priority: 1000 });
  t.deepEqual(
    ipRules(name).find((r) => r.priority === 1000),
    { priority: 1000, src: 'all', fwmark: '0x2a', table: '100' },
  );

  t.is(await fetchLine(client, { host: '10.51.9.1', port, mark: 0x2a }), 'echo 10.51.1.2');
  const unmarked = await fetchLine(client, { host: '10.51.9.1', port }).catch((e: NodeJS.ErrnoException) => e.code);
  t.is(unmarked, 'ENETUNREACH');
  const otherMark = await fetchLine(client, { host: '10.51.9.1', port, mark: 0x2b }).catch((e: NodeJS.ErrnoException) => e.code);
  t.is(otherMark, 'ENETUNREACH');

  client.deleteRule({ fwmark: 0x2a, table: 100 });
  const after = await fetchLine(client, { host: '10.51.9.1', port, mark: 0x2a }).catch((e: NodeJS.ErrnoException) => e.code);
  t.is(after, 'ENETUNREACH');
});

test('rules() lists what ip -j rule shows, IPv4 and IPv6, and its entries delete as they are', (t) => {
  const { ns, name } = openNS(t, 'l');
  const defaults = ns.rules();
  t.deepEqual(
    defaults.map((r) => [r.family, r.priority, r.table]),
    [
      [4, 0, 255],
      [4, 32766, 254],
      [4, 32767, 253],
      [6, 0, 255],
      [6, 32766, 254],
    ],
  );
  ns.addRule({ fwmark: 0x100, mask: 0xff00, table: 'main', priority: 200, from: '10.52.0.0/16' });
  ns.addRule({ table: 300, to: 'fd00:52::/32', priority: 300 });
  ns.addRule({ fwmark: 7, table: 301, family: 6 });
  const added = ns.rules().filter((r) => !defaults.some((d) => d.priority === r.priority && d.family === r.family));
  t.deepEqual(added, [
    { family: 4, priority: 200, table: 254, fwmark: 0x100, mask: 0xff00, from: '10.52.0.0/16' },
    // Without a priority the kernel puts the rule just before the first one after priority 0.
    { family: 6, priority: 299, table: 301, fwmark: 7, mask: 0xffffffff },
    { family: 6, priority: 300, table: 300, to: 'fd00:52::/32' },
  ]);
  t.like(ipRules(name).find((r) => r.priority === 200), { src: '10.52.0.0', srclen: 16, fwmark: '0x100', fwmask: '0xff00', table: 'main' });
  t.deepEqual(ipRules(name, '-6').map((r) => r.priority), [0, 299, 300, 32766]);

  const dup = t.throws(() => ns.addRule({ fwmark: 7, table: 301, family: 6, priority: 299 }), { instanceOf: NetNSSystemError });
  t.is(dup.code, 'EEXIST');
  t.is(dup.syscall, 'RTM_NEWRULE');
  t.is(dup.target, 'from all fwmark 0x7 lookup 301');
  for (const r of added) ns.deleteRule(r);
  t.deepEqual(ns.rules(), defaults);
  t.is(t.throws(() => ns.deleteRule(added[0]), { instanceOf: NetNSSystemError }).code, 'ENOENT');
});

test('bad rules are refused before anything is sent', (t) => {
  const { ns } = openNS(t, 'a');
  const before = ns.rules();
  for (const rule of [
    { table: 100, fwmark: -1 },
    { table: 100, fwmark: 2 ** 32 },
    { table: 100, fwmark: 1, mask: 2 ** 32 },
    { table: 100, fwmark: 1.5 },
    { table: 0 },
    { table: 100, priority: -1 },
  ]) {
    t.is(t.throws(() => ns.addRule(rule), { instanceOf: OutOfRangeError }, JSON.stringify(rule)).code, 'ERR_OUT_OF_RANGE');
  }
  for (const rule of [
    { table: 100, mask: 0xff },
    { table: 100, from: '10.0.0.1/24' },
    { table: 100, from: '10.0.0.0/8', to: 'fd00::/8' },
    { table: 100, family: 6, from: '10.0.0.0/8' },
    { table: 'mine' },
    { table: 100, mark: 1 },
  ]) {
    const e = t.throws(() => ns.addRule(rule as Rule), { instanceOf: InvalidArgValueError }, JSON.stringify(rule));
    t.is(e.code, 'ERR_INVALID_ARG_VALUE');
  }
  for (const rule of [undefined, { fwmark: 1 }, { table: 100, fwmark: '1' }]) {
    t.is(t.throws(() => ns.addRule(rule as unknown as Rule), { instanceOf: InvalidArgTypeError }).code, 'ERR_INVALID_ARG_TYPE');
  }
  t.deepEqual(ns.rules(), before);
});
