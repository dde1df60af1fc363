#!/usr/bin/env node
// `npm run test:matrix`: builds every target of package.json's napi.targets with the release
// route (napi build -x), checks each binary's NEEDED entries, packs the packages as a release
// does, installs them into an empty project per target, and runs each cell's Node on it: loads,
// a smoke in a namespace made by `ip netns add`, and (x64) the whole ava suite. Prints one table
// and ends with `N passed, M failed` (cells). Exits non-zero when any cell failed.
//
//   --ci          only the cells .ci/run runs (x64 glibc 20/22/24, x64 musl, arm64 glibc smoke)
//   --cells A,B   only these cells (ids as in the table's first columns, e.g. x64-musl-node22)
//   --readme      write the table into the marked block of docs/platforms.md
// Downloads are cached in $NETNS_MATRIX_CACHE (default ~/.cache/netns-matrix).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, hostname, cpus, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build, checkBinary } from './build.mjs';
import { cells as allCells } from './cells.mjs';
import { installApp, packDependencies, packPlatform, packRoot } from './install.mjs';
import { suiteTree } from './suite.mjs';
import { render, writeTable } from './table.mjs';
import { targets } from './targets.mjs';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const cache = process.env.NETNS_MATRIX_CACHE || join(homedir(), '.cache', 'netns-matrix');
const argv = process.argv.slice(2);
const flag = (name) => argv.includes(name);
const option = (name) => { const i = argv.indexOf(name); return i >= 0 ? argv[i + 1] : undefined; };
const log = (msg) => console.log(`matrix: ${msg}`);

if (process.getuid?.() !== 0) {
  console.error('matrix: needs root (ip netns add, setns, apt-get for the toolchain)');
  process.exit(1);
}

const byTriple = new Map(targets(repo).map((t) => [t.triple, t]));
let selected = allCells(cache);
if (flag('--ci')) selected = selected.filter((c) => c.ci);
if (option('--cells')) {
  const ids = option('--cells').split(',');
  const unknown = ids.filter((id) => !selected.some((c) => c.id === id));
  if (unknown.length) { console.error(`matrix: unknown cells ${unknown.join(', ')}`); process.exit(2); }
  selected = selected.filter((c) => ids.includes(c.id));
}
for (const t of byTriple.values()) {
  if (!allCells(cache).some((c) => c.triple === t.triple)) { console.error(`matrix: no cell for target ${t.triple}`); process.exit(2); }
}

/**
 * Every step runs synchronously, so a signal handler would never run: when a child dies of
 * Ctrl-C or SIGTERM (it got the signal too), clean up and stop here instead.
 */
function stopIfInterrupted(signal) {
  if (signal !== 'SIGINT' && signal !== 'SIGTERM' && signal !== 'SIGHUP') return;
  console.error(`matrix: interrupted (${signal})`);
  cleanup();
  process.exit(130);
}

/** Runs a command; returns { ok, out } with stdout+stderr, never throws. */
function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: opts.timeout ?? 600_000, ...opts });
  stopIfInterrupted(r.signal);
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}${r.error ? `\n${r.error.message}` : ''}`;
  return { ok: r.status === 0 && !r.error, out };
}
const tail = (text, n = 25) => text.trim().split('\n').slice(-n).join('\n');
const seconds = (t0) => `${Math.round((Date.now() - t0) / 1000)} s`;

/** `node -e LOADS APP PLATFORM`: the installed package loads its binary from the per-platform package. */
const LOADS = `
const [app, platform] = process.argv.slice(1);
const path = require('node:path');
const netns = require(path.join(app, 'node_modules', 'netns'));
if (!netns.isSupported()) { try { netns.getCurrentNS(); } catch (e) { console.error(e, e.cause); } process.exit(1); }
const addons = Object.keys(require.cache).filter((f) => f.endsWith('.node'));
const want = path.join(require('node:fs').realpathSync(app), 'node_modules', 'netns-' + platform, 'netns.' + platform + '.node');
if (addons.length !== 1 || addons[0] !== want) { console.error('loaded', addons, 'not', want); process.exit(1); }
netns.getCurrentNS().close();
`;

const started = Date.now();
const work = mkdtempSync(join(tmpdir(), 'netns-matrix-'));
const made = new Set();
const cleanup = () => {
  for (const ns of made) run('ip', ['netns', 'del', ns]);
  rmSync(work, { recursive: true, force: true });
};

const rows = [];
try {
  log(`toolchain (cache: ${cache})`);
  const tc = spawnSync('bash', [join(repo, 'scripts/matrix/toolchain.sh')], { stdio: 'inherit', env: { ...process.env, NETNS_MATRIX_CACHE: cache } });
  if (tc.status !== 0) throw new Error('the toolchain is missing a tool or a download (see above); no cell can run');

  log('the TypeScript facade');
  execFileSync('npm', ['run', '--silent', 'build:ts'], { cwd: repo, stdio: 'inherit' });

  const rootTgz = packRoot(repo, join(work, 'tarballs'));
  const dependencyTgzs = packDependencies(repo, join(work, 'tarballs'));
  const installed = new Map();
  for (const triple of new Set(selected.map((c) => c.triple))) {
    const target = byTriple.get(triple);
    const t0 = Date.now();
    const entry = { target, built: 'FAIL', file: undefined };
    installed.set(triple, entry);
    try {
      // A stable output folder: napi passes it to the build, and a new one each run rebuilds the binding.
      const binary = build(repo, cache, target, join(cache, 'build', target.platform), log);
      const check = checkBinary(binary, target);
      if (check.problems.length) throw new Error(check.problems.join('; '));
      const platformTgz = packPlatform(repo, target, binary, join(work, 'tarballs'));
      entry.file = installApp(target, [rootTgz, ...dependencyTgzs, platformTgz], join(work, 'app', target.platform));
      entry.app = join(work, 'app', target.platform);
      entry.built = `yes (${check.needed.join(', ')}; ${seconds(t0)})`;
    } catch (e) {
      stopIfInterrupted(e.signal);
      entry.built = `FAIL: ${String(e.message).split('\n')[0]}`;
      log(`${target.triple}: ${e.message}`);
    }
  }

  let n = 0;
  for (const cell of selected) {
    const entry = installed.get(cell.triple);
    const row = { id: cell.id, target: entry.target, node: '?', built: entry.built, loads: 'not run', smoke: 'not run', suite: cell.suite ? 'not run' : 'smoke only (qemu)', ok: false };
    rows.push(row);
    if (!entry.file) continue;
    const [cmd, ...pre] = cell.run;
    const version = run(cmd, [...pre, '--version'], { timeout: 120_000 });
    if (!version.ok) { row.node = `FAIL: ${tail(version.out, 1)}`; log(`${cell.id}: node --version:\n${version.out}`); continue; }
    row.node = version.out.trim();
    log(`${cell.id}: Node ${row.node}`);

    const loads = run(cmd, [...pre, '-e', LOADS, entry.app, entry.target.platform], { timeout: 180_000 });
    row.loads = loads.ok ? 'yes' : 'FAIL';
    if (!loads.ok) { log(`${cell.id}: loads failed:\n${tail(loads.out)}`); continue; }

    n += 1;
    const ns = `mx${process.pid.toString(36)}s${n}`;
    const t1 = Date.now();
    try {
      execFileSync('ip', ['netns', 'add', ns]);
      made.add(ns);
      execFileSync('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
      const smoke = run(cmd, [...pre, join(repo, 'scripts/matrix/smoke.cjs'), entry.app, entry.target.platform, ns], { timeout: 300_000 });
      row.smoke = smoke.ok ? `yes (${seconds(t1)})` : 'FAIL';
      if (!smoke.ok) log(`${cell.id}: smoke failed:\n${tail(smoke.out)}`);
    } finally {
      run('ip', ['netns', 'del', ns]);
      run('ip', ['netns', 'del', `${ns}n`.slice(0, 15)]);
      made.delete(ns);
    }

    if (cell.suite) {
      log(`${cell.id}: the whole ava suite, binary from ${entry.file}`);
      const t2 = Date.now();
      const env = { ...process.env, NAPI_RS_NATIVE_LIBRARY_PATH: entry.file };
      const tree = suiteTree(repo, join(work, 'suite', cell.id), entry.file);
      const runSuite = () => run(cmd, [...pre, join(repo, 'node_modules/ava/entrypoints/cli.mjs')], { cwd: tree, env, timeout: 1_800_000 });
      // ava prints no passed count when a test failed: count its ✔ and ✘ lines instead.
      const count = (out, mark) => (out.match(new RegExp(`^\\s*${mark}`, 'gm')) ?? []).length;
      let suite = runSuite();
      writeFileSync(join(cache, `suite-${cell.id}.log`), suite.out);
      let retried = '';
      if (!suite.ok) {
        log(`${cell.id}: suite failed (log: ${join(cache, `suite-${cell.id}.log`)}):\n${tail(suite.out, 40)}`);
        // One more run of the whole suite, said in the table: a test that fails only under the
        // machine's load shows as retried, never as a clean pass; one that fails twice fails the cell.
        const titles = [...suite.out.matchAll(/^\s*✘ (?:\[fail\]: )?(.+)$/gm)].map((m) => m[1].trim());
        retried = `; passed on a 2nd run, the 1st failed: ${titles.join('; ')}`;
        suite = runSuite();
        writeFileSync(join(cache, `suite-${cell.id}-2.log`), suite.out);
        if (!suite.ok) log(`${cell.id}: suite failed again (log: ${join(cache, `suite-${cell.id}-2.log`)}):\n${tail(suite.out, 40)}`);
      }
      const passed = count(suite.out, '✔');
      const failed = count(suite.out, '✘');
      row.suite = `${suite.ok ? 'passed' : 'FAILED'}: ${passed} passed, ${failed} failed (${seconds(t2)})${suite.ok ? retried : ''}`;
    }
    row.ok = row.loads === 'yes' && row.smoke.startsWith('yes') && (!cell.suite || row.suite.startsWith('passed'));
  }
} catch (e) {
  console.error(`matrix: FAILED: ${e.message}`);
  for (const cell of selected) if (!rows.some((r) => r.id === cell.id)) rows.push({ id: cell.id, target: byTriple.get(cell.triple), node: '?', built: 'not run', loads: 'not run', smoke: 'not run', suite: 'not run', ok: false });
} finally {
  cleanup();
}

const table = render(rows);
const passed = rows.filter((r) => r.ok).length;
console.log(`\n${table}\n`);
log(`${rows.length} cells in ${seconds(started)}`);
if (flag('--readme')) {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  const kernel = execFileSync('uname', ['-r'], { encoding: 'utf8' }).trim();
  const about = `Generated ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${hostname()} (Linux ${kernel}, ${cpus().length} x ${cpu}), ${seconds(started)}: ${passed} passed, ${rows.length - passed} failed.`;
  writeTable(join(repo, 'docs', 'platforms.md'), table, about);
  log('docs/platforms.md: table written');
}
console.log(`${passed} passed, ${rows.length - passed} failed`);
process.exit(passed === rows.length && rows.length > 0 ? 0 : 1);
