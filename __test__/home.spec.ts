/**
 * The calling thread's way back is cached (one namespace fd per thread, crates/core/src/home.rs)
 * and checked before each use: a thread moved for good, or a cached fd closed behind the
 * package's back, still comes home to where it really was.
 */
import test from 'ava';
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';

import './helpers/kernel';

test('do() reuses one cached way back, follows set(), survives its fd being closed, and keeps no namespace alive', (t) => {
  const out = execFileSync(process.execPath, [join(__dirname, 'fixtures', 'home-cache.js')], { encoding: 'utf8', timeout: 60_000 });
  t.deepEqual(JSON.parse(out), {
    cachedIsHome: true,
    inside: 1000,
    sameFdsAfter1000: true,
    homeAfterClosedCache: true,
    doInA: true,
    backInB: true,
    forgotten: true,
    bHeld: 0,
    home: true,
  });
});
