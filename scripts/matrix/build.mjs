// Builds one target with the route the release workflow uses (napi build -x: cargo-zigbuild with
// zig as the linker), then checks the binary's ELF header and NEEDED entries (design fact 15a).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** The environment the build runs in: zig and cargo-zigbuild from the cache first on PATH. */
export function buildEnv(cache) {
  return { ...process.env, PATH: `${join(cache, 'bin')}:${join(cache, 'cargo', 'bin')}:${process.env.PATH}` };
}

/** `napi build --release --target T -x` into `outDir`; returns the .node file. Throws with the log on failure. */
export function build(repo, cache, target, outDir, log) {
  rmSync(outDir, { recursive: true, force: true });
  mkdirSync(outDir, { recursive: true });
  const args = [
    'napi', 'build', '--platform', '--release', '--manifest-path', 'crates/binding/Cargo.toml',
    '--package-json-path', 'package.json', '--output-dir', outDir, '--no-js', '--dts', 'binding.d.ts',
    '--target-dir', join(cache, 'target'), '--target', target.triple, '-x',
  ];
  log(`nice npx ${args.join(' ')}`);
  execFileSync('nice', ['npx', ...args], { cwd: repo, env: buildEnv(cache), stdio: ['ignore', 'inherit', 'inherit'] });
  const file = join(outDir, `netns.${target.platform}.node`);
  if (!existsSync(file)) throw new Error(`napi build succeeded but wrote no ${file}`);
  return file;
}

/** The NEEDED entries of an ELF file's dynamic section (`readelf -d`). */
export function needed(file) {
  const out = execFileSync('readelf', ['-d', file], { encoding: 'utf8' });
  return [...out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]);
}

/**
 * Problems with a built binary, none when it fits its target: the machine in its ELF header,
 * and a C library in NEEDED that is the target's (musl: `libc.so` only, nothing of glibc's).
 */
export function checkBinary(file, target) {
  const problems = [];
  const header = execFileSync('readelf', ['-h', file], { encoding: 'utf8' });
  const machine = /Machine:\s+(.*)/.exec(header)?.[1] ?? '?';
  if (!machine.includes(target.machine)) problems.push(`ELF machine is '${machine}', not ${target.machine}`);
  const libs = needed(file);
  const glibc = libs.filter((l) => /^(libc\.so\.6|ld-linux.*|libgcc_s\.so.*|libpthread\.so.*|libdl\.so.*|libm\.so\.6)$/.test(l));
  if (target.libc === 'musl') {
    if (glibc.length) problems.push(`a musl binary that needs glibc's ${glibc.join(', ')}`);
    if (!libs.includes('libc.so')) problems.push(`a musl binary that does not need musl's libc.so (NEEDED: ${libs.join(', ')})`);
  } else {
    if (!libs.includes('libc.so.6')) problems.push(`a glibc binary that does not need libc.so.6 (NEEDED: ${libs.join(', ')})`);
    if (libs.includes('libc.so') || libs.some((l) => l.startsWith('ld-musl'))) problems.push('a glibc binary that needs musl');
  }
  return { needed: libs, machine, problems };
}
