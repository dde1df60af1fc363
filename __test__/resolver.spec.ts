/**
 * ns.resolver(): a dns.promises.Resolver whose queries leave from inside the namespace, to the
 * servers of the namespace's resolv.conf, with Node's result shapes and error codes.
 */
import { execFileSync } from 'node:child_process';
import * as dns from 'node:dns';
import { join } from 'node:path';
import test from 'ava';

import { getNSFromName } from '../dist';
import { checkNoThreadLeftBehind, makeNamedNS } from './helpers/kernel';
import { makeEtcNS, startZone } from './helpers/etcns';

test('resolve4/6, resolveSrv, resolveTxt, reverse against a DNS server inside the namespace', async (t) => {
  const name = makeEtcNS(t, { 'resolv.conf': 'nameserver 127.0.0.1\n' });
  await startZone(t, name, {
    'svc.test': { A: ['10.55.0.7'], TXT: ['v=ns'], SRV: [[10, 5, 8080, 'svc.test']] },
    '7.0.55.10.in-addr.arpa': { PTR: ['svc.test'] },
  });
  const ns = getNSFromName(name);
  t.teardown(() => ns.close());
  const resolver = ns.resolver();
  t.deepEqual(resolver.getServers(), ['127.0.0.1']);
  t.deepEqual(await resolver.resolve4('svc.test'), ['10.55.0.7']);
  t.deepEqual(await resolver.resolve4('svc.test', { ttl: true }), [{ address: '10.55.0.7', ttl: 60 }]);
  t.deepEqual(await resolver.resolveTxt('svc.test'), [['v=ns']]);
  // Node 24's records also carry `type: 'SRV'`; the fields every line has are compared.
  const srv = await resolver.resolveSrv('svc.test');
  t.is(srv.length, 1);
  t.like(srv[0], { priority: 10, weight: 5, port: 8080, name: 'svc.test' });
  t.deepEqual(await resolver.reverse('10.55.0.7'), ['svc.test']);
  const missing = await t.throwsAsync(resolver.resolve4('nothing.test'));
  t.like(missing as unknown as Record<string, unknown>, { code: 'ENOTFOUND', syscall: 'queryA', hostname: 'nothing.test' });
  const nodata = await t.throwsAsync(resolver.resolve6('svc.test'));
  t.is((nodata as NodeJS.ErrnoException).code, 'ENODATA');
  t.throws(() => resolver.resolve4(42 as never), { code: 'ERR_INVALID_ARG_TYPE' });
  // The host's own resolver cannot reach that server.
  const host = await new dns.promises.Resolver({ timeout: 500, tries: 1 }).resolve4('svc.test').catch((e: NodeJS.ErrnoException) => e.code);
  t.notDeepEqual(host, ['10.55.0.7']);
  ns.close();
  t.throws(() => resolver.resolve4('svc.test'), { code: 'ERR_NETNS_CLOSED' });
  t.throws(() => ns.resolver(), { code: 'ERR_NETNS_CLOSED' });
});

checkNoThreadLeftBehind(test);

for (const variant of ['plain', 'awaited']) {
  test(`close() right after setServers() with a query in flight leaves no promise to reject unhandled (${variant})`, (t) => {
    const { path } = makeNamedNS(t, 'rsc');
    // The fixture exits 1 (and execFileSync throws) on an unhandled rejection.
    for (let i = 0; i < 5; i += 1) {
      const out = execFileSync(process.execPath, [join(__dirname, 'fixtures', 'resolver-close.js'), path, variant], { encoding: 'utf8', timeout: 60_000 });
      const result = JSON.parse(out.trim()) as { first?: string };
      t.is(typeof result.first, 'string');
    }
  });
}
