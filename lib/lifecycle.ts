/**
 * The lifecycle of network namespaces: create (named as `ip netns add` does, or anonymous),
 * delete, list, and open one by name, process or thread.
 */
import { resolve } from 'node:path';

import { callNative } from './errors';
import { native } from './native';
import { getNS, NetNS } from './netns';
import { validateInteger, validateNetNSName, validateObject, validatePath } from './validate';

/** Options of the functions that work on named namespaces. */
export interface RunDirOptions {
  /**
   * The directory named namespaces are kept in. Default: `$NETNS_RUN_DIR` (read at each call)
   * if set and not empty, otherwise `/run/netns` (or `/var/run/netns` where only that exists),
   * the directory `ip netns` uses. A relative path is resolved against the current directory.
   */
  runDir?: string;
}

/** The run directory for one call: `options.runDir`, `$NETNS_RUN_DIR`, or the system's. */
function runDirOf(options: RunDirOptions | undefined): string {
  if (options === undefined) return defaultRunDir();
  validateObject(options, 'options');
  if (options.runDir === undefined) return defaultRunDir();
  validatePath(options.runDir, 'options.runDir');
  return resolve(options.runDir);
}

function defaultRunDir(): string {
  const fromEnv = process.env.NETNS_RUN_DIR;
  return fromEnv ? resolve(fromEnv) : native.systemRunDir();
}

/**
 * Creates a network namespace and returns an open handle to it. No Node thread changes
 * namespace: `unshare(CLONE_NEWNET)` runs on a short-lived native thread.
 *
 * - With a `name`: a persistent named namespace exactly as `ip netns add NAME` makes it (a bind
 *   mount on `<runDir>/<name>`), listed by `ip netns list` and usable with `ip -n NAME ...`. It
 *   lives until `deleteNetNS(name)` (or `ip netns del`), even after the handle is closed. An
 *   existing name fails with `EEXIST`; a creation that fails half way leaves nothing behind.
 * - Without a name: an anonymous namespace that lives as long as something holds it (this
 *   handle, a socket made in it, a process in it). Its `path` is `/proc/<pid>/fd/<fd>`.
 *
 * Needs CAP_SYS_ADMIN (`EPERM` otherwise). A name that is not a single path component throws
 * `NetNSInvalidNameError` before anything is touched.
 */
export function createNetNS(name?: string, options?: RunDirOptions): NetNS {
  if (name !== undefined) validateNetNSName(name, 'name');
  const runDir = runDirOf(options);
  if (name === undefined) return NetNS._fromFile(callNative(() => native.createNetns()));
  return NetNS._fromFile(callNative(() => native.createNetns(name, runDir)), name);
}

/**
 * Deletes the named namespace `name` as `ip netns del` does: unmounts it (`MNT_DETACH`) and
 * removes its file. Handles, sockets and processes that hold it keep it alive and working.
 * A missing name fails with `ENOENT`.
 */
export function deleteNetNS(name: string, options?: RunDirOptions): void {
  validateNetNSName(name, 'name');
  const runDir = runDirOf(options);
  callNative(() => native.deleteNetns(name, runDir));
}

/** The names of the named namespaces, sorted, as `ip netns list` finds them. */
export function listNetNS(options?: RunDirOptions): string[] {
  const runDir = runDirOf(options);
  return callNative(() => native.listNetns(runDir));
}

/** Opens the named namespace `name` (`<runDir>/<name>`); a missing one throws `NSPathNotExistError`. */
export function getNSFromName(name: string, options?: RunDirOptions): NetNS {
  validateNetNSName(name, 'name');
  const runDir = runDirOf(options);
  return NetNS._fromFile(callNative(() => native.openNs(native.namedNsPath(name, runDir))), name);
}

/** Opens the network namespace of process `pid` (`/proc/<pid>/ns/net`). */
export function getNSFromPid(pid: number): NetNS {
  validateInteger(pid, 'pid', 1, 0x7fff_ffff);
  return getNS(native.pidNsPath(pid));
}

/** Opens the network namespace of thread `tid` of process `pid` (`/proc/<pid>/task/<tid>/ns/net`). */
export function getNSFromThread(pid: number, tid: number): NetNS {
  validateInteger(pid, 'pid', 1, 0x7fff_ffff);
  validateInteger(tid, 'tid', 1, 0x7fff_ffff);
  return getNS(native.taskNsPath(pid, tid));
}
