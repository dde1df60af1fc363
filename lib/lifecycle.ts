/**
 * The lifecycle of network namespaces: create (named as `ip netns add` does, or anonymous),
 * delete, list, and open one by name, process or thread.
 */
import { isAbsolute, resolve } from 'node:path';

import { callNative, InvalidArgValueError } from './errors';
import { native } from './native';
import { getNS, NetNS } from './netns';
import { validateBoolean, validateInteger, validateKnownOptions, validateNetNSName, validatePath, validatePlainObject } from './validate';

/** Options of the functions that work on named namespaces. */
export interface RunDirOptions {
  /**
   * The directory named namespaces are kept in: an absolute path, not `/`. Default:
   * `$NETNS_RUN_DIR` (read at each call, same rules) if set and not empty, otherwise
   * `/run/netns` (or `/var/run/netns` where only that exists), the directory `ip netns` uses.
   */
  runDir?: string;
}

/** Options of {@link listNetNS}. */
export interface ListNetNSOptions extends RunDirOptions {
  /**
   * Also list stale entries, as `ip netns list` does: empty files that no namespace is mounted
   * on, left by a creation or deletion that was killed half way. Default `false`: only live
   * namespaces are listed.
   */
  withStale?: boolean;
}

/** Options of {@link createNetNS}. */
export interface CreateNetNSOptions extends RunDirOptions {
  /**
   * Make a rootless namespace: owned by the calling user, made with no privilege at all by the
   * process's rootless helper (docs/rootless.md). It has no name (a named namespace is a bind
   * mount, which needs privilege). Default `false`.
   */
  rootless?: boolean;
}

const RUN_DIR_KEYS: ReadonlySet<string> = new Set(['runDir']);
const CREATE_KEYS: ReadonlySet<string> = new Set(['runDir', 'rootless']);
const LIST_KEYS: ReadonlySet<string> = new Set(['runDir', 'withStale']);

/** Checks `options` (a plain object with only `known` keys) and returns it, or `{}` when undefined. */
function optionsOf<T extends object>(options: T | undefined, known: ReadonlySet<string>, where: string): T {
  if (options === undefined) return {} as T;
  validatePlainObject(options, 'options');
  validateKnownOptions(options, known, 'options', where);
  return options;
}

/** The run directory for one call: `options.runDir`, `$NETNS_RUN_DIR`, or the system's. */
function runDirOf(options: RunDirOptions): string {
  if (options.runDir !== undefined) return checkedRunDir(options.runDir, 'options.runDir');
  const fromEnv = process.env.NETNS_RUN_DIR;
  return fromEnv ? checkedRunDir(fromEnv, 'NETNS_RUN_DIR') : native.systemRunDir();
}

/** A run directory must be an absolute path other than `/`; returns it normalised. */
function checkedRunDir(value: unknown, name: string): string {
  validatePath(value, name);
  if (!isAbsolute(value)) throw new InvalidArgValueError(name, value, 'must be an absolute path');
  const dir = resolve(value);
  if (dir === '/') throw new InvalidArgValueError(name, value, "must not be '/'");
  return dir;
}

/**
 * Creates a network namespace and returns an open handle to it. `unshare(CLONE_NEWNET)` runs on
 * the calling thread inside one native call that switches it back before returning, as every
 * switch of the package does: no JavaScript runs while the thread is elsewhere.
 *
 * - With a `name`: a persistent named namespace exactly as `ip netns add NAME` makes it (a bind
 *   mount on `<runDir>/<name>`), listed by `ip netns list` and usable with `ip -n NAME ...`. It
 *   lives until `deleteNetNS(name)` (or `ip netns del`), even after the handle is closed. An
 *   existing name fails with `EEXIST`; a creation that fails half way leaves nothing behind,
 *   and a stale entry that a killed creation or deletion left under that name is reclaimed.
 *   Creations and deletions in one run directory are serialised by a `flock` on it, across
 *   threads and processes.
 * - Without a name: an anonymous namespace that lives as long as something holds it (this
 *   handle, a socket made in it, a process in it). Its `path` is `/proc/<pid>/fd/<fd>`.
 *
 * - With `{ rootless: true }` (and no name): a namespace owned by the calling user, made with no
 *   privilege at all by the process's rootless helper; see {@link CreateNetNSOptions.rootless}.
 *   Where user namespaces are not available it throws `NetNSUserNsUnavailableError`.
 *
 * Needs CAP_SYS_ADMIN (`EPERM` otherwise) unless rootless and, with a name, a run directory this
 * process may write in (`EACCES` whose `runDir` names it otherwise). A name that is not a single
 * path component throws `NetNSInvalidNameError` before anything is touched.
 */
export function createNetNS(options?: CreateNetNSOptions): NetNS;
export function createNetNS(name?: string, options?: CreateNetNSOptions): NetNS;
export function createNetNS(nameOrOptions?: string | CreateNetNSOptions, options?: CreateNetNSOptions): NetNS {
  let name: string | undefined;
  if (nameOrOptions !== null && typeof nameOrOptions === 'object' && options === undefined) options = nameOrOptions;
  else name = nameOrOptions as string | undefined;
  if (name !== undefined) validateNetNSName(name, 'name');
  const opts = optionsOf(options, CREATE_KEYS, 'createNetNS');
  if (opts.rootless !== undefined) validateBoolean(opts.rootless, 'options.rootless');
  if (opts.rootless === true) {
    if (name !== undefined) {
      throw new InvalidArgValueError('options.rootless', true, 'cannot make a named namespace (a bind mount needs privilege); omit the name');
    }
    if (opts.runDir !== undefined) checkedRunDir(opts.runDir, 'options.runDir');
    return NetNS._fromFile(callNative(() => native.createRootlessNetns()));
  }
  if (name === undefined) {
    if (opts.runDir !== undefined) checkedRunDir(opts.runDir, 'options.runDir');
    return NetNS._fromFile(callNative(() => native.createNetns()));
  }
  const runDir = runDirOf(opts);
  return NetNS._fromFile(callNative(() => native.createNetns(name, runDir)), name);
}

/**
 * Deletes the named namespace `name` as `ip netns del` does: unmounts it (`MNT_DETACH`) and
 * removes its file. Handles, sockets and processes that hold it keep it alive and working.
 * A missing name fails with `ENOENT`; a stale entry (see {@link listNetNS}) is removed. It holds
 * the run directory's lock as {@link createNetNS} does, so it never removes a creation half made.
 */
export function deleteNetNS(name: string, options?: RunDirOptions): void {
  validateNetNSName(name, 'name');
  const runDir = runDirOf(optionsOf(options, RUN_DIR_KEYS, 'deleteNetNS'));
  callNative(() => native.deleteNetns(name, runDir));
}

/**
 * The names of the live named namespaces, sorted. Unlike `ip netns list`, which prints every
 * entry of the run directory, it skips stale entries (an empty file with no namespace mounted
 * on it, left by a creation or deletion that was killed half way) unless `withStale` is true.
 */
export function listNetNS(options?: ListNetNSOptions): string[] {
  const opts = optionsOf(options, LIST_KEYS, 'listNetNS');
  const runDir = runDirOf(opts);
  const withStale = opts.withStale ?? false;
  validateBoolean(withStale, 'options.withStale');
  return callNative(() => native.listNetns(runDir, withStale));
}

/** Opens the named namespace `name` (`<runDir>/<name>`); a missing one throws `NSPathNotExistError`. */
export function getNSFromName(name: string, options?: RunDirOptions): NetNS {
  validateNetNSName(name, 'name');
  const runDir = runDirOf(optionsOf(options, RUN_DIR_KEYS, 'getNSFromName'));
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
