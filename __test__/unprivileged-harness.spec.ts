/**
 * The harness that runs test bodies as an ordinary user really gives them uid 65534, no groups,
 * and no capabilities or exactly the ones asked for, and loads the package under test.
 */
import test from 'ava';

import './helpers/kernel';
import { NOBODY, runJsonAsUser } from './helpers/unprivileged';

const CAP_NET_ADMIN = 12n;
const CAP_SYS_ADMIN = 21n;

/** Prints the child's ids, effective and ambient capability masks, and whether netns loaded. */
const REPORT = `
const status = require('node:fs').readFileSync('/proc/self/status', 'utf8');
const field = (name) => status.match(new RegExp('^' + name + ':[ \\\\t]*(.*)$', 'm'))[1].trim();
const netns = require('netns');
console.log(JSON.stringify({
  uid: process.getuid(), gid: process.getgid(), groups: field('Groups'),
  capEff: field('CapEff'), capAmb: field('CapAmb'), loaded: typeof netns.getNS,
}));
`;

interface Report {
  uid: number;
  gid: number;
  groups: string;
  capEff: string;
  capAmb: string;
  loaded: string;
}

test('a body runs as uid 65534 with no capabilities and loads the package', async (t) => {
  const r = await runJsonAsUser<Report>(REPORT);
  t.is(r.uid, NOBODY);
  t.is(r.gid, NOBODY);
  t.is(r.groups, '');
  t.is(BigInt(`0x${r.capEff}`), 0n);
  t.is(BigInt(`0x${r.capAmb}`), 0n);
  t.is(r.loaded, 'function');
});

test('a body asked for two capabilities holds exactly those two', async (t) => {
  const r = await runJsonAsUser<Report>(REPORT, { caps: ['sys_admin', 'net_admin'] });
  t.is(r.uid, NOBODY);
  const want = (1n << CAP_SYS_ADMIN) | (1n << CAP_NET_ADMIN);
  t.is(BigInt(`0x${r.capEff}`), want);
  t.is(BigInt(`0x${r.capAmb}`), want);
});
