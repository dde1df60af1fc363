/**
 * Many namespaces at once: lookups spread over more namespaces than the package keeps resolver
 * threads (crates/core/src/resolver.rs, THREADS_MAX) are answered, because an idle thread of
 * another namespace makes room; only busy threads make a new namespace wait.
 */
import test from 'ava';

import { createNetNS, type NetNS } from '../dist';
import './helpers/kernel';

test('lookups spread over 140 namespaces, one after another, all succeed', async (t) => {
  const handles: NetNS[] = [];
  t.teardown(() => handles.forEach((ns) => ns.close()));
  for (let i = 0; i < 140; i++) handles.push(createNetNS());
  for (const ns of handles) {
    const { address } = await ns.promises.lookup('127.0.0.1');
    t.is(address, '127.0.0.1');
  }
});
