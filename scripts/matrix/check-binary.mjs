#!/usr/bin/env node
// `node scripts/matrix/check-binary.mjs TRIPLE FILE`: exits non-zero, saying why, when FILE is not
// a fit binary for TRIPLE (ELF machine, and NEEDED C library: design fact 15a). The release
// workflow runs it on every build; the matrix runs the same check.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { checkBinary } from './build.mjs';
import { targets } from './targets.mjs';

const [triple, file] = process.argv.slice(2);
const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const target = targets(repo).find((t) => t.triple === triple);
if (!target || !file) {
  console.error('usage: check-binary.mjs TRIPLE FILE (TRIPLE from package.json napi.targets)');
  process.exit(2);
}
const { needed, machine, problems } = checkBinary(file, target);
if (problems.length) {
  console.error(`${file}: ${problems.join('; ')}`);
  process.exit(1);
}
console.log(`${file}: ${machine}, NEEDED ${needed.join(', ')}: fits ${triple}`);
