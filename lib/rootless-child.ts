/**
 * Child processes started inside a rootless namespace. This process cannot enter the namespace
 * (that needs `CAP_SYS_ADMIN` in its own user namespace), but a new single-threaded process of
 * the same user can: util-linux's `nsenter` joins the namespace's owner user namespace (where the
 * user is uid 0 with every capability, `--preserve-credentials` keeps the ids mapped) and then
 * the network namespace, and execs the command. So each child method of a rootless handle is the
 * `child_process` function itself, with the command run through `nsenter`: a real Node
 * `ChildProcess` (or Sync result), started inside.
 *
 * `nsenter` names the namespaces through `/proc/<this pid>/fd/<n>`: two fds (the owner user
 * namespace and a duplicate of the handle's) made for the child and closed when it exits (after
 * the call, for the Sync forms), so that they name the right namespaces for as long as `nsenter`
 * may open them, whatever becomes of the handle meanwhile.
 */
import type { ChildProcess } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

import { wrapCall } from './childview';
import { callNative, NetNSNsenterMissingError } from './errors';
import { native } from './native';
import { closeQuietly } from './sockets/common';

/** Where `nsenter` is looked for besides `PATH` (it lives in sbin on some systems). */
const FALLBACK_DIRS = ['/usr/bin', '/bin', '/usr/sbin', '/sbin'];

let nsenter: string | undefined;

/** The absolute path of `nsenter`, found once; `NetNSNsenterMissingError` if there is none. */
function nsenterPath(): string {
  if (nsenter !== undefined) return nsenter;
  const dirs = [...(process.env.PATH ?? '').split(delimiter).filter((d) => d.startsWith('/')), ...FALLBACK_DIRS];
  for (const dir of dirs) {
    const file = join(dir, 'nsenter');
    try {
      accessSync(file, constants.X_OK);
      nsenter = file;
      return file;
    } catch {
      // Not here.
    }
  }
  throw new NetNSNsenterMissingError(`PATH and ${FALLBACK_DIRS.join(', ')}`);
}

/**
 * Calls `fn` (the `child_process` function `name`) with `args` rewritten so that the child starts
 * inside the rootless namespace behind `nsFd`. `sync`: `fn` returns when the child has ended.
 * @internal
 */
export function callInRootless(nsFd: number, name: string, args: unknown[], fn: (...a: unknown[]) => unknown, sync: boolean): unknown {
  const program = nsenterPath();
  const fds = callNative(() => native.rootlessChildFds(nsFd));
  let closed = false;
  const close = (): void => {
    if (closed) return;
    closed = true;
    for (const fd of fds) closeQuietly(fd);
  };
  const [userns, net] = fds as [number, number];
  const lead = [`--user=/proc/${process.pid}/fd/${userns}`, `--net=/proc/${process.pid}/fd/${net}`, '--preserve-credentials', '--'];
  let result: unknown;
  try {
    result = fn(...wrapCall(name, args, program, lead));
  } catch (e) {
    close();
    throw e;
  }
  if (sync) close();
  else (result as ChildProcess).once('exit', close).once('error', close);
  return result;
}
