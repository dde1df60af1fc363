/**
 * The peers: the same operations timed in the libraries people compare netns with, in the same
 * run. Go's `containernetworking/plugins/pkg/ns` and `vishvananda/netns` (bench/peers/go, built
 * from the Go module proxy into a cache directory), and Python's pyroute2 (bench/peers/
 * pyroute2_peer.py, installed from PyPI into a virtualenv the bench makes there).
 *
 * A peer whose toolchain (`go`, `python3`) is absent is skipped with a printed note; a toolchain
 * that is present but fails to build or install its peer stops the bench with the error.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

/** Where built peers and the virtualenv live (never committed). */
export const peerCache = join(__dirname, '..', 'node_modules', '.cache', 'netns-bench');
const goSource = join(__dirname, 'peers', 'go');
const pySource = join(__dirname, 'peers', 'pyroute2_peer.py');
/** The pyroute2 release the bench installs. */
export const PYROUTE2_VERSION = '0.9.7';

/** Runs one batch of a peer program and returns its mean ns per operation. */
export type PeerRunner = (op: string, arg: string, n: number) => number;

/** Whether `cmd` can be started at all (a missing toolchain is ENOENT). */
function present(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore' });
  return !(r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT');
}

/** Runs a build step; a failure throws with the tool's output (the bench stops loudly). */
function step(what: string, cmd: string, args: string[], cwd?: string): void {
  const r = spawnSync(cmd, args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.error || r.status !== 0) {
    throw new Error(`bench peers: ${what} failed (${cmd} ${args.join(' ')}): ${r.error?.message ?? ''}\n${r.stdout}${r.stderr}`);
  }
}

function runner(cmd: string, prefix: string[]): PeerRunner {
  return (op, arg, n) => {
    const out = execFileSync(cmd, [...prefix, op, arg, String(n)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return (JSON.parse(out) as { nsPerOp: number }).nsPerOp;
  };
}

/** Builds the Go peer (`go build`, modules from the proxy); undefined with a note when Go is absent. */
export function goPeer(notes: string[]): PeerRunner | undefined {
  if (!present('go', ['version'])) {
    notes.push('Go peers skipped: `go` is not installed.');
    return undefined;
  }
  mkdirSync(peerCache, { recursive: true });
  const binary = join(peerCache, 'netns-peer-go');
  step('building the Go peer', 'go', ['build', '-o', binary, '.'], goSource);
  return runner(binary, []);
}

/** Makes the virtualenv with pyroute2; undefined with a note when python3 is absent. */
export function pyroute2Peer(notes: string[]): PeerRunner | undefined {
  if (!present('python3', ['--version'])) {
    notes.push('pyroute2 peers skipped: `python3` is not installed.');
    return undefined;
  }
  const venv = join(peerCache, 'venv');
  const python = join(venv, 'bin', 'python');
  if (!existsSync(python)) step('making the virtualenv', 'python3', ['-m', 'venv', venv]);
  const has = spawnSync(python, ['-c', `import importlib.metadata as m, sys; sys.exit(m.version('pyroute2') != '${PYROUTE2_VERSION}')`]);
  if (has.status !== 0) {
    step('installing pyroute2', python, ['-m', 'pip', 'install', '--quiet', '--disable-pip-version-check', `pyroute2==${PYROUTE2_VERSION}`]);
  }
  return runner(python, [pySource]);
}
