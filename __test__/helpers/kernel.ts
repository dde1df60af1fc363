/**
 * Test helpers over real kernel objects: uniquely named namespaces made with `ip netns add` and
 * always removed, and namespace inodes read straight from /proc.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import type { ExecutionContext } from 'ava';

import { native } from '../../dist/lib/native';

/** Fails loudly when the tests do not run as root: they need real namespaces. */
export function requireRoot(): void {
  if (process.getuid?.() !== 0) {
    throw new Error('the netns tests need root (CAP_SYS_ADMIN, CAP_NET_ADMIN): run them with sudo');
  }
}
requireRoot();

let counter = 0;
const made = new Set<string>();

/** A name no other test, file or run uses: `nstest-<pid>-<n>-<tag>`, short enough for ip(8). */
export function uniqueName(tag = 't'): string {
  counter += 1;
  return `nst${process.pid.toString(36)}${counter}${tag}`.slice(0, 15);
}

/** Runs ip(8) and returns its output; throws with its stderr on failure. */
export function ip(...args: string[]): string {
  return execFileSync('ip', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Deletes a named namespace if it still exists (never throws). */
export function removeNamedNS(name: string): void {
  made.delete(name);
  try {
    execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
  } catch {
    // Already gone.
  }
}

/**
 * Makes a named namespace with `ip netns add` (loopback up) that is removed when the test ends,
 * passed or failed, and at process exit as a last resort. Returns its name and path.
 */
export function makeNamedNS(t: ExecutionContext, tag = 't'): { name: string; path: string } {
  const name = uniqueName(tag);
  ip('netns', 'add', name);
  made.add(name);
  t.teardown(() => removeNamedNS(name));
  ip('-n', name, 'link', 'set', 'lo', 'up');
  return { name, path: `/run/netns/${name}` };
}

process.on('exit', () => {
  for (const name of made) removeNamedNS(name);
});

/** The inode of the namespace at a path (follows /proc magic links). */
export function nsInode(path: string): number {
  return statSync(path).ino;
}

/** The inode of the calling thread's network namespace, read from /proc without this package. */
export function threadNsInode(): number {
  return nsInode('/proc/thread-self/ns/net');
}

/** The network namespace inode of every thread of this process, by tid. */
export function allThreadNsInodes(): Map<number, number> {
  const result = new Map<number, number>();
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const link = readlinkSync(`/proc/self/task/${tid}/ns/net`); // "net:[4026531840]"
      result.set(Number(tid), Number(/\[(\d+)\]/.exec(link)?.[1]));
    } catch {
      // The thread ended while we looked.
    }
  }
  return result;
}

/** The device of nsfs, where every namespace file lives (bind mounts in /run/netns too). */
const nsfsDev = statSync('/proc/self/ns/net').dev;

/**
 * The open socket and namespace fds of this process (as `'<fd> <link>'`): the kinds the package
 * opens. Other files are left out: Node's own threads open some at times (Node 24 reads the
 * `NODE_EXTRA_CA_CERTS` file in the background), which would make counts of all fds flaky. So
 * is the calling thread's cached way back (one per thread that has switched, made at its first
 * switch and kept until the thread ends; __test__/home.spec.ts checks it).
 */
export function socketAndNsFds(): string[] {
  const home = String(native.cachedHomeFd() ?? -1);
  return readdirSync('/proc/self/fd').flatMap((fd) => {
    if (fd === home) return [];
    try {
      const link = readlinkSync(`/proc/self/fd/${fd}`);
      return link.startsWith('socket:') || statSync(`/proc/self/fd/${fd}`).dev === nsfsDev ? [`${fd} ${link}`] : [];
    } catch {
      return []; // the listing's own fd, closed by now
    }
  });
}

/** The number of open socket and namespace fds of this process (see `socketAndNsFds`). */
export function openFdCount(): number {
  return socketAndNsFds().length;
}

/** The namespace every thread of this test process started in (read when the helpers load). */
export const originalNsInode = threadNsInode();

/** The kernel thread ids of the package's resolver threads (named `netns-resolver`), which live inside namespaces while they work. */
function resolverThreads(): string[] {
  return readdirSync('/proc/self/task').filter((tid) => {
    try {
      return readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim() === 'netns-resolver';
    } catch {
      return false;
    }
  });
}

/** Waits (up to 10 s) until the package's resolver threads have ended, as they do after 2 s idle. */
export async function resolverThreadsEnded(): Promise<void> {
  for (let i = 0; i < 100 && resolverThreads().length > 0; i += 1) await new Promise((r) => setTimeout(r, 100));
}

/**
 * Registers a final check for a test file: when all its tests are done, every thread of the
 * process is in the namespace it started in (no test left one behind, whatever it threw).
 */
export function checkNoThreadLeftBehind(test: { after: { always: (title: string, fn: (t: ExecutionContext) => Promise<void>) => void } }): void {
  test.after.always('afterwards, every thread of the process is in the namespace it started in', async (t) => {
    await resolverThreadsEnded();
    const strays = [...allThreadNsInodes()].filter(([, ino]) => ino !== originalNsInode);
    t.deepEqual(strays, [], `threads [tid, namespace inode] not in ${originalNsInode}`);
  });
}
