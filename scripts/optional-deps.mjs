#!/usr/bin/env node
// The root package's `optionalDependencies`: one exact-version entry per per-platform package in
// npm/, the map `napi prepublish` writes into the published package.json. The repository's
// package.json must not list them (design fact 10: `npm ci` refuses a lockfile that misses
// unpublished optional dependencies), so they exist only while packing or publishing.
//
//   node scripts/optional-deps.mjs check          exit 1 unless package.json lists exactly them
//                                                 (the prepublishOnly guard: run
//                                                 `napi prepublish -t npm` first)
//   node scripts/optional-deps.mjs print          print the map as JSON
//   node scripts/optional-deps.mjs with CMD ARGS  write them, run CMD (e.g. `npm pack --json`),
//                                                 then restore package.json byte for byte, also
//                                                 when CMD fails or the script is interrupted
import { spawnSync } from 'node:child_process';
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const manifestPath = join(root, 'package.json');

/** `{ "netns-linux-x64-gnu": "<version>", ... }` from npm/*, checked against the root version. */
function expectedOptionalDeps(version) {
  const deps = {};
  for (const dir of readdirSync(join(root, 'npm')).sort()) {
    const pkg = JSON.parse(readFileSync(join(root, 'npm', dir, 'package.json'), 'utf8'));
    if (pkg.version !== version) {
      throw new Error(`npm/${dir}/package.json has version ${pkg.version}, the root package ${version}: run \`napi version\``);
    }
    deps[pkg.name] = version;
  }
  if (Object.keys(deps).length === 0) throw new Error('npm/ holds no per-platform packages: run `napi create-npm-dirs`');
  return deps;
}

const [command, ...rest] = process.argv.slice(2);
const original = readFileSync(manifestPath, 'utf8');
const manifest = JSON.parse(original);
const expected = expectedOptionalDeps(manifest.version);

if (command === 'print') {
  process.stdout.write(`${JSON.stringify(expected, null, 2)}\n`);
} else if (command === 'check') {
  const actual = manifest.optionalDependencies ?? {};
  const same =
    Object.keys(actual).length === Object.keys(expected).length &&
    Object.entries(expected).every(([name, version]) => actual[name] === version);
  if (!same) {
    console.error(
      `package.json must list the per-platform packages as exact-version optionalDependencies before it is published.\n` +
        `Run \`napi prepublish -t npm\` first (the release workflow does). Expected ${JSON.stringify(expected)}, found ${JSON.stringify(actual)}`,
    );
    process.exit(1);
  }
} else if (command === 'with' && rest.length > 0) {
  if (manifest.optionalDependencies !== undefined) {
    console.error('package.json already lists optionalDependencies; the repository copy must not (design fact 10)');
    process.exit(1);
  }
  const restore = () => writeFileSync(manifestPath, original);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
    process.on(signal, () => {
      restore();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
  let status = 1;
  try {
    writeFileSync(manifestPath, `${JSON.stringify({ ...manifest, optionalDependencies: expected }, null, 2)}\n`);
    const child = spawnSync(rest[0], rest.slice(1), { cwd: root, stdio: 'inherit' });
    if (child.error) console.error(child.error.message);
    status = child.status ?? 1;
  } finally {
    restore();
  }
  process.exit(status);
} else {
  console.error('usage: optional-deps.mjs check | print | with COMMAND [ARGS...]');
  process.exit(2);
}
