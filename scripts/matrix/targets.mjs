// The targets of package.json's napi.targets, and what the matrix needs to know about each.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What each Rust target triple is called in package names, and how to check its binary. */
const KNOWN = {
  'x86_64-unknown-linux-gnu': { platform: 'linux-x64-gnu', cpu: 'x64', libc: 'glibc', machine: 'X86-64' },
  'x86_64-unknown-linux-musl': { platform: 'linux-x64-musl', cpu: 'x64', libc: 'musl', machine: 'X86-64' },
  'aarch64-unknown-linux-gnu': { platform: 'linux-arm64-gnu', cpu: 'arm64', libc: 'glibc', machine: 'AArch64' },
  'aarch64-unknown-linux-musl': { platform: 'linux-arm64-musl', cpu: 'arm64', libc: 'musl', machine: 'AArch64' },
  'armv7-unknown-linux-gnueabihf': { platform: 'linux-arm-gnueabihf', cpu: 'arm', libc: 'glibc', machine: 'ARM' },
};

/** Every target in package.json's `napi.targets`, in order; throws on one the matrix does not know. */
export function targets(repo) {
  const pkg = JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8'));
  return pkg.napi.targets.map((triple) => {
    const known = KNOWN[triple];
    if (!known) throw new Error(`package.json's napi.targets has ${triple}, which scripts/matrix/targets.mjs does not know`);
    return { triple, ...known };
  });
}
