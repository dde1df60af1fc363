/**
 * Issue #15.3: creating and deleting the same name at once, from threads and from processes.
 * Creation and deletion of one name are serialised, so no mount is stacked on another, creators
 * fail only with EEXIST and deleters only with ENOENT, and every success is real: the
 * successful creations outnumber the successful deletions by exactly the namespaces left.
 */
import test, { type ExecutionContext } from 'ava';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';

import { checkNoThreadLeftBehind } from './helpers/kernel';
import { lcName, mounts, stackedAt } from './helpers/mounts';

checkNoThreadLeftBehind(test);

const RUN_DIR = '/run/netns';
const FIXTURE = join(__dirname, 'fixtures', 'lifecycle-race.js');
const RUN_MS = 1500;

interface Report {
  role: 'create' | 'delete';
  ok: number;
  expected: number;
  unexpected: string[];
}

const mountsAt = (path: string) => mounts().filter((m) => m.point === path).length;

/** A name in the system run dir that is removed (if it is still there) when the test ends. */
function raceName(t: ExecutionContext, tag: string): { name: string; path: string } {
  const name = lcName(tag);
  const path = join(RUN_DIR, name);
  t.teardown(async () => {
    const { spawnSync } = await import('node:child_process');
    spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  });
  return { name, path };
}

/** The checks every race ends with. */
function checkOutcome(t: ExecutionContext, reports: Report[], path: string, stacked: number): void {
  t.deepEqual(
    reports.flatMap((r) => r.unexpected),
    [],
    'creators fail only with EEXIST, deleters only with ENOENT',
  );
  const created = reports.filter((r) => r.role === 'create').reduce((n, r) => n + r.ok, 0);
  const deleted = reports.filter((r) => r.role === 'delete').reduce((n, r) => n + r.ok, 0);
  t.true(created > 0 && deleted > 0, `both sides succeeded at times (${created} created, ${deleted} deleted)`);
  const left = mountsAt(path);
  t.is(stacked, 0, 'no mount was ever seen stacked on another at the path');
  t.true(left <= 1, 'at most one mount on the path once all is quiet');
  t.is(left, existsSync(path) ? 1 : 0, 'the path is a mounted namespace or absent');
  t.is(created - deleted, left, 'every successful creation was a real one, and every successful deletion');
}

test.serial('two threads creating and one deleting the same name never stack mounts, and every result is true', async (t) => {
  const { name, path } = raceName(t, 'rt');
  const start = new SharedArrayBuffer(12);
  const flag = new Int32Array(start);
  const roles = ['create', 'create', 'delete'];
  const workers = roles.map((role) => new Worker(FIXTURE, { workerData: { role, name, runDir: RUN_DIR, ms: RUN_MS, start } }));
  const reports = workers.map(
    (w) =>
      new Promise<Report>((resolve, reject) => {
        w.once('message', resolve);
        w.once('error', reject);
        w.once('exit', (code) => reject(new Error(`worker exited ${code} without a report`)));
      }),
  );
  while (Atomics.load(flag, 1) < roles.length) await new Promise((r) => setTimeout(r, 5));
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
  // This thread samples the mount table while the workers race.
  let stacked = 0;
  while (Atomics.load(flag, 2) < roles.length) stacked += stackedAt(path).length;
  checkOutcome(t, await Promise.all(reports), path, stacked);
});

test.serial('two processes creating and one deleting the same name never stack mounts, and every result is true', async (t) => {
  const { name, path } = raceName(t, 'rp');
  const children = ['create', 'create', 'delete'].map((role) =>
    spawn(process.execPath, [FIXTURE, JSON.stringify({ role, name, runDir: RUN_DIR, ms: RUN_MS })], { stdio: ['ignore', 'pipe', 'pipe'] }),
  );
  t.teardown(() => {
    for (const c of children) c.kill('SIGKILL');
  });
  let running = children.length;
  const reports = children.map(
    (c) =>
      new Promise<Report>((resolve, reject) => {
        let out = '';
        let err = '';
        c.stdout.on('data', (d: Buffer) => (out += d.toString()));
        c.stderr.on('data', (d: Buffer) => (err += d.toString()));
        c.once('exit', (code) => {
          running -= 1;
          if (code === 0) resolve(JSON.parse(out) as Report);
          else reject(new Error(`child exited ${code}: ${err}`));
        });
      }),
  );
  let stacked = 0;
  while (running > 0) {
    stacked += stackedAt(path).length;
    await new Promise((r) => setImmediate(r));
  }
  checkOutcome(t, await Promise.all(reports), path, stacked);
});
