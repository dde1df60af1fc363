/**
 * The errors netns throws. Every one has a stable `code`; system errors also carry `errno`,
 * `syscall` and the `path`, `fd` or `name` involved, like Node's own system errors.
 */

/** Base class of the netns errors that are not argument errors. */
export class NetNSError extends Error {
  /** A stable code, such as `ERR_NETNS_CLOSED`. */
  readonly code: string;
  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * A system call failed. `code` is the errno name (`EPERM`), `errno` its negated number, as in Node.
 * A refusal says what was missing: `capability` for a call the kernel refused for lack of one
 * (docs/privileges.md), `runDir` for a run directory of named namespaces this process may not write.
 */
export class NetNSSystemError extends NetNSError {
  /** The negated errno, as Node's system errors have it (e.g. `-1` for `EPERM`). */
  readonly errno: number;
  /** The system call that failed, e.g. `setns`. */
  readonly syscall: string;
  /** The path involved, if any. */
  readonly path?: string;
  /** The file descriptor involved, if any. */
  readonly fd?: number;
  /** The device or namespace name involved, if any (for a route, its destination; for a rule, the rule). */
  readonly target?: string;
  /** For a call refused for lack of a capability: its name, e.g. `CAP_SYS_ADMIN` (`capabilities(7)`). */
  readonly capability?: string;
  /**
   * For a run directory of named namespaces this process may not write in (`EACCES`, `EROFS`):
   * that directory. Pass one it may write as the `runDir` option or in `NETNS_RUN_DIR`.
   */
  readonly runDir?: string;
  /**
   * The kernel's own explanation, when it gave one (a netlink extended ack, as `ip` prints
   * after `Error:`), e.g. `'Nexthop has invalid gateway'`. It is also at the end of `message`.
   */
  readonly detail?: string;
  constructor(init: {
    code: string;
    message: string;
    errno: number;
    syscall: string;
    path?: string;
    fd?: number;
    target?: string;
    capability?: string;
    runDir?: string;
    detail?: string;
  }) {
    super(init.code, init.message);
    this.errno = init.errno;
    this.syscall = init.syscall;
    if (init.path !== undefined) this.path = init.path;
    if (init.fd !== undefined) this.fd = init.fd;
    if (init.target !== undefined) this.target = init.target;
    if (init.capability !== undefined) this.capability = init.capability;
    if (init.runDir !== undefined) this.runDir = init.runDir;
    if (init.detail !== undefined) this.detail = init.detail;
  }
}

/** The namespace path does not exist (`ERR_NETNS_PATH_NOT_EXIST`); Go's `NSPathNotExistErr`. */
export class NSPathNotExistError extends NetNSError {
  /** The path that was looked up. */
  readonly path: string;
  constructor(path: string, message = `namespace path '${path}' does not exist`) {
    super('ERR_NETNS_PATH_NOT_EXIST', message);
    this.path = path;
  }
}

/** The path exists but is not a namespace file (`ERR_NETNS_PATH_NOT_NS`); Go's `NSPathNotNSErr`. */
export class NSPathNotNSError extends NetNSError {
  /** The path that was looked up. */
  readonly path: string;
  constructor(path: string, message = `'${path}' is not a namespace`) {
    super('ERR_NETNS_PATH_NOT_NS', message);
    this.path = path;
  }
}

/** The path is a namespace of another type, e.g. a mount namespace (`ERR_NETNS_WRONG_TYPE`). */
export class NetNSWrongTypeError extends NetNSError {
  /** The path that was looked up. */
  readonly path: string;
  /** The `CLONE_NEW*` type the kernel reported for it. */
  readonly nstype: number;
  constructor(path: string, nstype: number, message: string) {
    super('ERR_NETNS_WRONG_TYPE', message);
    this.path = path;
    this.nstype = nstype;
  }
}

/** A `NetNS` handle was used after `close()` (`ERR_NETNS_CLOSED`). */
export class NetNSClosedError extends NetNSError {
  constructor(path: string) {
    super('ERR_NETNS_CLOSED', `the NetNS handle for '${path}' is closed`);
  }
}

/** A socket's file descriptor does not exist yet, e.g. before it connects or binds (`ERR_NETNS_SOCKET_NOT_READY`). */
export class NetNSSocketNotReadyError extends NetNSError {
  constructor(what: string) {
    super(
      'ERR_NETNS_SOCKET_NOT_READY',
      `${what} has no file descriptor yet: Node creates it when the socket connects or binds. ` +
        `Set the option once it exists (on 'connect' or 'listening'), or pass it to ns.connect()/ns.listen()/ns.createSocket(), which set it before the first packet`,
    );
  }
}

/**
 * netns cannot work here (`ERR_NETNS_UNSUPPORTED_PLATFORM`): the platform is not Linux, or no
 * prebuilt native binary fits or loads. Importing the package never throws it; every call does.
 * `isSupported()` tells in advance. When a binary failed to load, `cause` is the loader's error.
 */
export class NetNSUnsupportedPlatformError extends NetNSError {
  /** The platform as `<os>-<arch>[-<libc>]`, e.g. `darwin-arm64` or `linux-x64-musl`. */
  readonly platform: string;
  constructor(platform: string, message: string, options?: ErrorOptions) {
    super('ERR_NETNS_UNSUPPORTED_PLATFORM', message, options);
    this.platform = platform;
  }
}

/**
 * `netnsView: true` cannot be given to a child here (`ERR_NETNS_VIEW_UNAVAILABLE`): a program it
 * needs is missing, util-linux's `unshare` (not on the child's `PATH`) or, for `argv0`, `bash`.
 * Nothing was started.
 */
export class NetNSViewUnavailableError extends NetNSError {
  /** The program that is missing: `'unshare'` or `'bash'`. */
  readonly missing: string;
  constructor(missing: string, message: string) {
    super('ERR_NETNS_VIEW_UNAVAILABLE', message);
    this.missing = missing;
  }
}

/** A callback given to `do()` returned a promise (`ERR_NETNS_ASYNC_CALLBACK`). */
export class NetNSAsyncCallbackError extends TypeError {
  /** Always `ERR_NETNS_ASYNC_CALLBACK`. */
  readonly code = 'ERR_NETNS_ASYNC_CALLBACK';
  constructor(method: string) {
    super(
      `the callback passed to ${method} returned a promise. ${method} is synchronous: the thread was switched back ` +
        `as soon as the callback returned, so everything after its first await runs in the original namespace, and ` +
        `sockets Node creates later (net.connect, dns-resolved listen, dgram) are created there too. ` +
        `Use ns.connect(), ns.listen() or ns.createSocket() for sockets, or ns.worker() for asynchronous code`,
    );
    this.name = 'NetNSAsyncCallbackError';
  }
}

/**
 * A namespace name that is not a single path component: empty, `.`, `..`, containing `/` or NUL,
 * or longer than 255 bytes (`ERR_NETNS_INVALID_NAME`). Nothing on disk was touched.
 */
export class NetNSInvalidNameError extends RangeError {
  /** Always `ERR_NETNS_INVALID_NAME`. */
  readonly code = 'ERR_NETNS_INVALID_NAME';
  constructor(message: string) {
    super(message);
    this.name = 'NetNSInvalidNameError';
  }
}

/** An argument has the wrong type (`ERR_INVALID_ARG_TYPE`), as Node's validators throw. */
export class InvalidArgTypeError extends TypeError {
  /** Always `ERR_INVALID_ARG_TYPE`. */
  readonly code = 'ERR_INVALID_ARG_TYPE';
  constructor(name: string, expected: string, actual: unknown) {
    super(`The "${name}" argument must be ${expected}. Received ${describeValue(actual)}`);
    this.name = 'TypeError';
  }
}

/** A class that only the package itself may construct was called with `new` (`ERR_ILLEGAL_CONSTRUCTOR`). */
export class IllegalConstructorError extends TypeError {
  /** Always `ERR_ILLEGAL_CONSTRUCTOR`. */
  readonly code = 'ERR_ILLEGAL_CONSTRUCTOR';
  constructor(what: string, instead: string) {
    super(`Illegal constructor: ${what} cannot be constructed directly; ${instead}`);
    this.name = 'TypeError';
  }
}

/** An argument has the right type but a value that is not allowed (`ERR_INVALID_ARG_VALUE`). */
export class InvalidArgValueError extends TypeError {
  /** Always `ERR_INVALID_ARG_VALUE`. */
  readonly code = 'ERR_INVALID_ARG_VALUE';
  constructor(name: string, value: unknown, reason: string) {
    super(`The argument '${name}' ${reason}. Received ${describeValue(value)}`);
    this.name = 'TypeError';
  }
}

/** A number is outside the allowed range (`ERR_OUT_OF_RANGE`). */
export class OutOfRangeError extends RangeError {
  /** Always `ERR_OUT_OF_RANGE`. */
  readonly code = 'ERR_OUT_OF_RANGE';
  constructor(name: string, range: string, actual: unknown) {
    super(`The value of "${name}" is out of range. It must be ${range}. Received ${describeValue(actual)}`);
    this.name = 'RangeError';
  }
}

function describeValue(value: unknown): string {
  if (value === null || value === undefined) return String(value);
  if (typeof value === 'function') return `function ${value.name || '<anonymous>'}`;
  if (typeof value === 'object') return `an instance of ${value.constructor?.name ?? 'Object'}`;
  const shown = typeof value === 'string' ? `'${value.length > 28 ? `${value.slice(0, 25)}...` : value}'` : String(value);
  return `type ${typeof value} (${shown})`;
}

/** The shape of an error thrown by the native binding. */
interface NativeError extends Error {
  netnsKind: 'system' | 'pathNotExist' | 'pathNotNs' | 'wrongType' | 'invalidName' | 'usernsUnavailable';
  code: string;
  errno?: number;
  syscall?: string;
  path?: string;
  fd?: number;
  target?: string;
  detail?: string;
  nstype?: number;
  capability?: string;
  runDir?: string;
  reason?: string;
  sysctl?: string;
  fix?: string;
}

/**
 * Turns an error thrown by the native binding into the matching exported class. Anything else
 * (an error thrown by a user callback) is returned unchanged, as the same object.
 * @internal
 */
export function fromNative(e: unknown): unknown {
  if (!(e instanceof Error) || typeof (e as NativeError).netnsKind !== 'string') return e;
  const n = e as NativeError;
  switch (n.netnsKind) {
    case 'pathNotExist':
      return new NSPathNotExistError(n.path ?? '', n.message);
    case 'pathNotNs':
      return new NSPathNotNSError(n.path ?? '', n.message);
    case 'wrongType':
      return new NetNSWrongTypeError(n.path ?? '', n.nstype ?? 0, n.message);
    case 'invalidName':
      return new NetNSInvalidNameError(n.message);
    case 'usernsUnavailable':
      return new NetNSUserNsUnavailableError({
        message: n.message,
        errno: n.errno ?? 0,
        syscall: n.syscall ?? '',
        reason: n.reason ?? 'other',
        sysctl: n.sysctl,
        fix: n.fix ?? '',
      });
    default:
      return new NetNSSystemError({
        code: n.code,
        message: n.message,
        errno: n.errno ?? 0,
        syscall: n.syscall ?? '',
        path: n.path,
        fd: n.fd,
        target: n.target,
        capability: n.capability,
        runDir: n.runDir,
        detail: n.detail,
      });
  }
}

/** Runs a native call and rethrows its errors as the exported classes. @internal */
export function callNative<T>(f: () => T): T {
  try {
    return f();
  } catch (e) {
    throw fromNative(e);
  }
}

/**
 * `connect()` was called again on a socket that `ns.connect()` made (`ERR_NETNS_RECONNECT`). Node
 * would make a new socket for it in the calling thread's namespace; make a new one with
 * `ns.connect()` instead.
 */
export class NetNSReconnectError extends NetNSError {
  constructor() {
    super(
      'ERR_NETNS_RECONNECT',
      'connect() was called again on a socket made by ns.connect(): Node would create the new connection in the ' +
        "calling thread's namespace, not in the socket's. Call ns.connect() again for a new connection",
    );
  }
}

/**
 * User namespaces are not available to this process, so `createNetNS({ rootless: true })` cannot
 * make a namespace (`ERR_NETNS_USERNS_UNAVAILABLE`): `reason` names the cause
 * (`max_user_namespaces`, `unprivileged_userns_clone`, `apparmor` or `other`), `sysctl` the
 * setting involved, and `fix` what an administrator can do. Nothing was left behind.
 */
export class NetNSUserNsUnavailableError extends NetNSError {
  /** The negated errno of the step that failed (`-28` for `ENOSPC`). */
  readonly errno: number;
  /** The step that failed: `unshare` (`CLONE_NEWUSER`) or `write` (of `/proc/self/uid_map`). */
  readonly syscall: string;
  /** The cause: `max_user_namespaces`, `unprivileged_userns_clone`, `apparmor` or `other`. */
  readonly reason: string;
  /** The sysctl involved, e.g. `user.max_user_namespaces`, if one is. */
  readonly sysctl?: string;
  /** What an administrator can do about it. */
  readonly fix: string;
  constructor(init: { message: string; errno: number; syscall: string; reason: string; sysctl?: string; fix: string }) {
    super('ERR_NETNS_USERNS_UNAVAILABLE', init.message);
    this.errno = init.errno;
    this.syscall = init.syscall;
    this.reason = init.reason;
    if (init.sysctl !== undefined) this.sysctl = init.sysctl;
    this.fix = init.fix;
  }
}

/**
 * An operation that needs privilege was asked of a rootless namespace (`ERR_NETNS_ROOTLESS_UNSUPPORTED`):
 * `do()`, `set()`, `worker()`, `resolver()`, `setns()`. This process cannot enter a namespace of its
 * rootless helper (entering one needs `CAP_SYS_ADMIN` in the process's own user namespace), so
 * nothing that switches a thread of it can work. Nothing ran.
 */
export class NetNSRootlessUnsupportedError extends NetNSError {
  /** The operation refused, e.g. `NetNS.do()`. */
  readonly operation: string;
  constructor(operation: string) {
    super(
      'ERR_NETNS_ROOTLESS_UNSUPPORTED',
      `${operation} cannot run on a rootless namespace: it switches a thread of this process into the namespace, ` +
        `which needs CAP_SYS_ADMIN. Rootless namespaces offer what the rootless helper can make inside for this ` +
        `process: sockets (connect, listen, createSocket, dispatcher, ...), lookups, links and child processes ` +
        `(spawn, exec, fork). See docs/rootless.md`,
    );
    this.operation = operation;
  }
}

/**
 * A rootless namespace and a namespace that is not were mixed in one call (`ERR_NETNS_ROOTLESS_MIXED`),
 * such as `addVeth` between them: the helper cannot act on a namespace outside its user namespace,
 * and this process cannot act inside the helper's. Nothing ran.
 */
export class NetNSRootlessMixedError extends NetNSError {
  /** The operation refused, e.g. `NetNS.addVeth()`. */
  readonly operation: string;
  constructor(operation: string) {
    super(
      'ERR_NETNS_ROOTLESS_MIXED',
      `${operation} cannot join a rootless namespace and one that is not: a rootless namespace belongs to the ` +
        `user namespace of this process's rootless helper, and links between namespaces need privilege over both. ` +
        `Use two rootless namespaces, or two that are not`,
    );
    this.operation = operation;
  }
}

/**
 * A child process of a rootless namespace needs util-linux's `nsenter`, and none was found on
 * `PATH` (`ERR_NETNS_NSENTER_MISSING`). Nothing was started.
 */
export class NetNSNsenterMissingError extends NetNSError {
  constructor(searched: string) {
    super(
      'ERR_NETNS_NSENTER_MISSING',
      `a child process of a rootless namespace is started through nsenter (util-linux), and no nsenter was found ` +
        `in ${searched}. Install util-linux (Debian/Ubuntu: util-linux; Alpine: util-linux-misc; Fedora: util-linux-core)`,
    );
  }
}
