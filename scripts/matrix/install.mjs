// Packs the packages as a release does and installs them into an empty project, offline: the
// root package with `npm run pack:release`, the per-platform one from npm/<platform> plus the
// built binary; then `npm install` of the two tarballs, with --os/--cpu/--libc of the target
// (and --force where the target is not this machine's: see installApp).
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function version(repo) {
  return JSON.parse(readFileSync(join(repo, 'package.json'), 'utf8')).version;
}

/** `npm run pack:release` into `dir`; returns the root tarball. */
export function packRoot(repo, dir) {
  mkdirSync(dir, { recursive: true });
  execFileSync('npm', ['run', '--silent', 'pack:release', '--', '--pack-destination', dir], { cwd: repo, stdio: ['ignore', 'ignore', 'inherit'] });
  return join(dir, `netns-${version(repo)}.tgz`);
}

/** npm/<platform> with `binary` in it, packed into `dir`; returns the tarball. */
export function packPlatform(repo, target, binary, dir) {
  const stage = join(dir, 'stage', target.platform);
  rmSync(stage, { recursive: true, force: true });
  cpSync(join(repo, 'npm', target.platform), stage, { recursive: true });
  cpSync(binary, join(stage, `netns.${target.platform}.node`));
  execFileSync('npm', ['pack', '--silent', '--pack-destination', dir], { cwd: stage, stdio: ['ignore', 'ignore', 'inherit'] });
  return join(dir, `netns-${target.platform}-${version(repo)}.tgz`);
}

/** The runtime dependencies packed from node_modules into `dir` (they stand in for the registry). */
export function packDependencies(repo, dir) {
  const out = execFileSync('node', [join(repo, 'scripts', 'pack-dependencies.mjs'), dir], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  return out.split('\n').filter(Boolean);
}

/** An empty project in `app` with both tarballs installed, offline; returns the installed .node file. */
export function installApp(target, tarballs, app) {
  rmSync(app, { recursive: true, force: true });
  mkdirSync(app, { recursive: true });
  writeFileSync(join(app, 'package.json'), '{ "name": "matrix-app", "version": "1.0.0", "private": true }\n');
  const args = [
    'install', '--offline', '--no-audit', '--no-fund', '--loglevel', 'error', '--cache', join(app, '.npm-cache'),
    '--registry', 'http://127.0.0.1:9/', '--os', 'linux', '--cpu', target.cpu, '--libc', target.libc, ...tarballs,
  ];
  // --os/--cpu/--libc choose optional dependencies, but npm still refuses a tarball named on the
  // command line that does not fit this machine (EBADPLATFORM): --force for foreign targets only.
  if (target.cpu !== process.arch || target.libc !== 'glibc') args.push('--force');
  execFileSync('npm', args, { cwd: app, stdio: ['ignore', 'ignore', 'inherit'] });
  return join(app, 'node_modules', `netns-${target.platform}`, `netns.${target.platform}.node`);
}
