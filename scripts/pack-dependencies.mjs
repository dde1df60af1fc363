#!/usr/bin/env node
// Packs the root package's runtime `dependencies` (undici) from node_modules into DIR and prints
// each tarball's path, one a line. The install proof and the test matrix install the packed
// package offline, with no registry: these tarballs stand in for what the registry gives a user,
// and are installed in the same command as the package. A dependency that has dependencies of
// its own is refused (this stand-in does not resolve a tree).
//
//   node scripts/pack-dependencies.mjs DIR
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const dir = process.argv[2];
if (!dir) {
  console.error('usage: node scripts/pack-dependencies.mjs DIR');
  process.exit(2);
}
const fail = (msg) => {
  console.error(`pack-dependencies: ${msg}`);
  process.exit(1);
};
const { dependencies = {} } = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
for (const name of Object.keys(dependencies)) {
  const where = join(repo, 'node_modules', name);
  if (!existsSync(join(where, 'package.json'))) fail(`${name} is not installed in node_modules (run npm ci first)`);
  const own = JSON.parse(readFileSync(join(where, 'package.json'), 'utf8')).dependencies ?? {};
  if (Object.keys(own).length > 0) fail(`${name} has dependencies of its own (${Object.keys(own).join(', ')}): not supported offline`);
  const out = execFileSync('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', dir, where], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  console.log(join(dir, JSON.parse(out)[0].filename));
}
