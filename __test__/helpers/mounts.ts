/** Test helpers over the mount table and run directories, read straight from /proc. */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';

/** One line of /proc/self/mountinfo: mount id, parent mount id, root and mount point. */
export interface MountEntry {
  id: number;
  parent: number;
  root: string;
  point: string;
}

/**
 * This process's mount table. The kernel produces it a page at a time, so a table read while
 * mounts change is no snapshot: one mount removed and another added at the same place may both
 * appear.
 */
export function mounts(): MountEntry[] {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const f = line.split(' ');
      return { id: Number(f[0]), parent: Number(f[1]), root: f[3], point: f[4].replace(/\\040/g, ' ') };
    });
}

/** The mount points at `dir` or below it, one per mount (a path mounted twice is listed twice). */
export const mountPointsUnder = (dir: string): string[] =>
  mounts()
    .filter((m) => m.point === dir || m.point.startsWith(`${dir}/`))
    .map((m) => m.point);

/** The mounts of the namespace with inode `ino` (bind mounts of it). */
export const mountsOfNs = (ino: number): MountEntry[] => mounts().filter((m) => m.root === `net:[${ino}]`);

/** Unmounts everything mounted at `dir` or below it, deepest first (`umount -l`); never throws. */
export function unmountUnder(dir: string): void {
  for (const point of mountPointsUnder(dir).sort((a, b) => b.length - a.length)) {
    spawnSync('umount', ['-l', point], { stdio: 'ignore' });
  }
}

/** A temporary folder; `runDir` inside it does not exist yet. Everything is unmounted and removed on teardown. */
export function tempRunDir(t: ExecutionContext): { base: string; runDir: string } {
  const base = mkdtempSync(join(tmpdir(), 'netns-lc-'));
  t.teardown(() => {
    unmountUnder(base);
    rmSync(base, { recursive: true, force: true });
  });
  return { base, runDir: join(base, 'run') };
}

let counter = 0;

/** A name no other test, file or engineer uses: `lc<pid>` plus a counter and a tag, at most 15 bytes. */
export function lcName(tag: string): string {
  counter += 1;
  return `lc${process.pid.toString(36)}${counter}${tag}`.slice(0, 15);
}

/** The mounts at `path` that are mounted on top of another mount at `path` (stacked mounts). */
export function stackedAt(path: string): MountEntry[] {
  const table = mounts();
  const atPath = new Set(table.filter((m) => m.point === path).map((m) => m.id));
  return table.filter((m) => m.point === path && atPath.has(m.parent));
}
