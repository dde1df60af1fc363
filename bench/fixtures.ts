/** Namespaces and processes the benchmark makes, all removed by `cleanup()`, also on Ctrl-C. */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';

const names = new Set<string>();
let counter = 0;

/** A named namespace made with `ip netns add` (loopback up), removed by `cleanup()`. */
export function benchNamespace(): { name: string; path: string } {
  const name = `bn${process.pid}x${++counter}`;
  execFileSync('ip', ['netns', 'add', name]);
  names.add(name);
  execFileSync('ip', ['-n', name, 'link', 'set', 'lo', 'up']);
  return { name, path: `/run/netns/${name}` };
}

const cleanups: (() => void)[] = [];

/** Registers something to undo at cleanup (servers to close, handles to release). */
export function onCleanup(fn: () => void): void {
  cleanups.push(fn);
}

/**
 * A run directory of the bench's own (`/run/netns-bench-<pid>-<tag>`), so that a thousand named
 * namespaces never crowd `/run/netns`. `removeAll` (the package's list and delete) runs at
 * cleanup, then the directory's bind mount on itself is undone and the directory removed.
 */
export function benchRunDir(tag: string, removeAll: (dir: string) => void): string {
  const dir = `/run/netns-bench-${process.pid}-${tag}`;
  onCleanup(() => {
    removeAll(dir);
    spawnSync('umount', ['-l', dir], { stdio: 'ignore' });
    spawnSync('rmdir', [dir], { stdio: 'ignore' });
  });
  return dir;
}

/** Removes what the benchmark made. */
export function cleanup(): void {
  for (const fn of cleanups.splice(0)) {
    try {
      fn();
    } catch {
      // Already gone.
    }
  }
  for (const name of names) spawnSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  names.clear();
}
process.on('exit', cleanup);

/** The floor binary (crates/floor), built in release mode by `npm run bench`. */
export const floorBinary = join(__dirname, '..', 'target', 'release', 'netns-floor');

/** Runs the floor binary for one batch and returns its ns per operation. */
export function floor(op: 'do' | 'socket', path: string, n: number): number {
  const out = execFileSync(floorBinary, [op, path, String(n)], { encoding: 'utf8' });
  return (JSON.parse(out) as { nsPerOp: number }).nsPerOp;
}
