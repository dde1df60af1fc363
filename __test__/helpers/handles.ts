/** Test helpers that use the package itself: handles that close when the test ends. */
import type { ExecutionContext } from 'ava';

import { getNS, type NetNS } from '../../dist';
import { makeNamedNS } from './kernel';

/** Makes a namespace for this test (removed on teardown) and opens it; the handle closes on teardown. */
export function openNS(t: ExecutionContext, tag: string): { ns: NetNS; name: string } {
  const { name, path } = makeNamedNS(t, tag);
  const ns = getNS(path);
  t.teardown(() => ns.close());
  return { ns, name };
}
