// The tree the ava suite runs in for one cell: the repository's tests, examples, manifest and
// compiled facade, unchanged, with node_modules linked from the repository, and, as the one
// binary next to the facade, a link to the .node file inside the installed per-platform package.
// So the tests (which import '../dist' and look for dist/netns.linux-*.node) load the binary a
// user gets, whatever C library the cell's Node has, and the repository's own build is untouched.
import { cpSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { basename, join } from 'node:path';

/** Lays out `dir` for the suite against `binary`; returns `dir`. */
export function suiteTree(repo, dir, binary) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of ['package.json', 'tsconfig.json', '__test__', 'examples']) {
    cpSync(join(repo, f), join(dir, f), { recursive: true });
  }
  cpSync(join(repo, 'dist'), join(dir, 'dist'), { recursive: true, filter: (src) => !src.endsWith('.node') });
  symlinkSync(join(repo, 'node_modules'), join(dir, 'node_modules'));
  symlinkSync(binary, join(dir, 'dist', basename(binary)));
  return dir;
}
