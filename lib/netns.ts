/** `NetNS`: one handle over one open namespace file, and the functions that open one. */
import type * as childProcess from 'node:child_process';
import type * as dgram from 'node:dgram';
import type * as http2 from 'node:http2';
import type * as net from 'node:net';
import { resolve as resolvePath } from 'node:path';
import type * as tls from 'node:tls';
import { inspect } from 'node:util';
import type { Worker, WorkerOptions } from 'node:worker_threads';
import type * as Undici from 'undici';

import { NetNSAgent, NetNSHttpsAgent, type NetNSAgentOptions, type NetNSHttpsAgentOptions } from './agent';
import { CLONE_NEWNET } from './constants';
import { setNetNSCheck, validateNetNS } from './brand';
import {
  callNative,
  fromNative,
  IllegalConstructorError,
  NetNSAsyncCallbackError,
  NetNSClosedError,
  NetNSRootlessUnsupportedError,
} from './errors';
import './exit';
import { lookupAt, lookupPromiseAt, type LookupAddress, type LookupCallback, type LookupPlace, type NetNSLookupOptions } from './lookup';
import { networkMethods, type NetworkMethods } from './net/methods';
import { native } from './native';
import { processMethods, workerInNs } from './procs';
import { NetNSResolver } from './resolver';
import { socketPoolSize } from './socketpool';
import { connectIn, type ConnectOptions } from './sockets/connect';
import { listenIn, type ListenOptions } from './sockets/listen';
import { createSocketIn, type CreateSocketOptions } from './sockets/udp';
import { validateFunction, validatePath } from './validate';
import { createConnectionIn, type createConnection } from './create-connection';
import { dispatcherIn, type DispatcherOptions } from './dispatcher';
import { http2ConnectIn, type Http2ConnectOptions } from './http2';
import { unconnectedSocketIn, type NetNSUnconnectedSocket, type UnconnectedSocketOptions } from './sockets/unconnected';
import { tlsConnectIn, type TlsConnectOptions } from './tls';

/** What the native layer returns for an open namespace file. */
interface NsFile {
  fd: number;
  dev: number;
  ino: number;
  path: string;
  rootless?: boolean;
}

/** `ns.promises`: `dns.promises.lookup` inside the namespace. */
export interface NetNSPromises {
  /** `dns.promises.lookup()` inside the namespace. */
  lookup(hostname: string, options: NetNSLookupOptions & { all: true }): Promise<LookupAddress[]>;
  /** `dns.promises.lookup()` inside the namespace, for one address. */
  lookup(hostname: string, options?: number | NetNSLookupOptions): Promise<LookupAddress>;
}

/** Handles that were garbage-collected without close(): closed at once, reported once per turn. */
const leakedPaths: string[] = [];

function reportLeaked(): void {
  const paths = leakedPaths.splice(0);
  const shown = paths.slice(0, 5).join("', '") + (paths.length > 5 ? `', ... (${paths.length - 5} more)` : "'");
  process.emitWarning(
    `Closed ${paths.length} NetNS handle(s) on garbage collection: '${shown}. Call close() or use 'using' to close them.`,
    { code: 'NETNS_HANDLE_GC', type: 'Warning' },
  );
}

/** What a handle owns and its finalizer releases: the namespace fd and the pool of spare sockets. */
interface Owned {
  fd: number;
  path: string;
  pool?: InstanceType<typeof native.SocketPool>;
}

const finalizer = new FinalizationRegistry<Owned>(({ fd, path, pool }) => {
  pool?.close();
  try {
    native.closeFd(fd);
  } catch {
    // Already closed behind our back: nothing more to release.
  }
  if (leakedPaths.push(path) === 1) setImmediate(reportLeaked);
});

/**
 * An `async function`, a generator function or an async generator function: its body runs
 * later, when the thread is back in its own namespace, so do() refuses it before it starts.
 */
function isDeferredFunction(fn: unknown): boolean {
  const tag = (fn as { [Symbol.toStringTag]?: unknown })[Symbol.toStringTag];
  return tag === 'AsyncFunction' || tag === 'AsyncGeneratorFunction' || tag === 'GeneratorFunction';
}

/** Only this module can make handles: `new NetNS()` from JavaScript throws without it. */
const CONSTRUCT = Symbol('NetNS.construct');

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === 'object' || typeof value === 'function') &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

/**
 * The networking methods (links, addresses, routes, rules, sysctls), defined in lib/net/methods.ts
 * and put on the prototype below.
 */
export interface NetNS extends NetworkMethods {}

/**
 * An open network namespace: one file descriptor, closed by `close()`, by `using`, or (with a
 * warning) when the handle is garbage-collected. Every method of a closed handle throws
 * `NetNSClosedError`.
 */
export class NetNS {
  #fd: number;
  #path: string | undefined;
  #dev: number | undefined;
  #ino: number | undefined;
  readonly #name: string | undefined;
  #etcDir: string | undefined;
  readonly #owned: Owned | undefined;
  #lend: (() => number) | undefined;
  /** The resolvers made by `resolver()`, closed with the handle (made at the first). */
  #resolvers: Set<NetNSResolver> | undefined;
  readonly #rootless: boolean;
  #closed = false;
  #createConnection: typeof createConnection | undefined;
  #tlsConnect: ((options: TlsConnectOptions, secureConnectListener?: () => void) => tls.TLSSocket) | undefined;

  private constructor(
    token: symbol,
    fd: number,
    path: string | undefined,
    dev: number | undefined,
    ino: number | undefined,
    owned: boolean,
    name?: string,
    rootless = false,
  ) {
    // TypeScript's `private` is gone at run time: a handle over an arbitrary fd number would let
    // the package close, or switch into, whatever that number is.
    if (token !== CONSTRUCT) {
      throw new IllegalConstructorError('NetNS', 'open one with getNS(), getCurrentNS(), createNetNS() or getNSFromName()');
    }
    this.#fd = fd;
    this.#rootless = rootless;
    this.#name = name;
    this.#etcDir = name === undefined ? undefined : native.netnsEtcDir(name);
    this.#path = path;
    this.#dev = dev;
    this.#ino = ino;
    this.#owned = owned ? { fd, path: path ?? `fd ${fd}` } : undefined;
    if (this.#owned) finalizer.register(this, this.#owned, this);
  }

  static {
    // The brand check of lib/brand.ts: only objects this constructor made have the private field.
    setNetNSCheck((value) => #fd in value);
  }

  /** Wraps a namespace file the native layer opened; the handle owns its fd. @internal */
  static _fromFile(file: NsFile, name?: string): NetNS {
    return new NetNS(CONSTRUCT, file.fd, file.path, file.dev, file.ino, true, name, file.rootless === true);
  }

  /**
   * A handle over an fd someone else owns and closes, valid until `_release()`; `lend` gives the
   * fd at the first use (the caller's namespace in do(), duplicated only if it is used). @internal
   */
  static _borrow(lend: () => number): NetNS {
    const ns = new NetNS(CONSTRUCT, -1, undefined, undefined, undefined, false);
    ns.#lend = lend;
    return ns;
  }

  /** Marks a borrowed handle closed; its fd stays with its owner. @internal */
  _release(): void {
    this.#closed = true;
  }

  #gate(): number {
    if (this.#closed) throw new NetNSClosedError(this.#path ?? (this.#fd < 0 ? 'hostNS' : `fd ${this.#fd}`));
    if (this.#fd < 0 && this.#lend) this.#fd = callNative(this.#lend);
    return this.#fd;
  }

  #identity(): void {
    const id = callNative(() => native.nsIdentity(this.#gate()));
    this.#dev = id.dev;
    this.#ino = id.ino;
  }

  /** The open file descriptor of the namespace (close-on-exec). */
  get fd(): number {
    return this.#gate();
  }

  /**
   * The path the namespace was opened from; for the calling thread's, `/proc/<pid>/task/<tid>/ns/net`.
   * The `hostNS` of a `do()` callback has `/proc/<pid>/fd/<fd>`, valid while the callback runs.
   */
  get path(): string {
    const fd = this.#gate();
    // Only borrowed handles have no path: name their fd, never the thread (which is elsewhere now).
    this.#path ??= `/proc/${process.pid}/fd/${fd}`;
    return this.#path;
  }

  /** The inode number of the namespace: equal inodes (on the same `dev`) are the same namespace. */
  get inode(): number {
    this.#gate();
    if (this.#ino === undefined) this.#identity();
    return this.#ino as number;
  }

  /** The device number of the namespace file system. */
  get dev(): number {
    this.#gate();
    if (this.#dev === undefined) this.#identity();
    return this.#dev as number;
  }

  /**
   * The name of a named namespace, for handles from `createNetNS(name)` and `getNSFromName(name)`;
   * `undefined` for the others.
   */
  get name(): string | undefined {
    return this.#name;
  }

  /**
   * The directory whose files replace `/etc`'s when this handle resolves names (`lookup()`, and
   * the sockets of `connect()`, `listen()`, `createSocket()`, `agent()`), as `ip netns exec`
   * replaces them: `/etc/netns/<name>` for a named namespace, `undefined` (the host's `/etc`)
   * otherwise. Set it to give any handle such a directory, or `undefined` for none.
   */
  get etcDir(): string | undefined {
    this.#gate();
    return this.#etcDir;
  }

  /** Sets the etc directory of this handle: an absolute or relative path, or `undefined` for none. */
  set etcDir(dir: string | undefined) {
    this.#gate();
    if (dir !== undefined) validatePath(dir, 'etcDir');
    this.#etcDir = dir === undefined ? undefined : resolvePath(dir);
  }

  /** Where this handle's lookups run, read at each lookup (made at the first use). */
  #placeFn: (() => LookupPlace) | undefined;

  get #place(): () => LookupPlace {
    return (this.#placeFn ??= () => ({ fd: this.#gate(), etcDir: this.#etcDir }));
  }

  /**
   * `dns.lookup()` inside this namespace: the same arguments and results, with the files of
   * `etcDir` over `/etc`'s and the queries sent from inside, as under `ip netns exec`. It runs
   * on a native thread of the package: no Node or libuv-pool thread changes namespace.
   */
  lookup(hostname: string, callback: LookupCallback): object;
  lookup(hostname: string, options: number | NetNSLookupOptions, callback: LookupCallback): object;
  lookup(hostname: string, options: unknown, callback?: unknown): object {
    return lookupAt(this.#place, hostname, options, callback);
  }

  /** The promise forms of this namespace's lookups, as `dns.promises` has them. */
  get promises(): NetNSPromises {
    this.#gate();
    const place = this.#place;
    return {
      lookup: ((hostname: string, options?: unknown) => lookupPromiseAt(place, hostname, options)) as NetNSPromises['lookup'],
    };
  }

  /**
   * A `dns.promises.Resolver` (`resolve4`, `resolve6`, `resolveSrv`, `resolveTxt`, `resolve`,
   * `reverse`, `getServers`, `setServers`, `cancel`) whose queries are sent from inside this
   * namespace, to the `nameserver`s of its `resolv.conf` (`etcDir`'s, else /etc's). Its worker
   * thread starts at the first query and ends with `close()` or when this handle closes.
   */
  resolver(): NetNSResolver {
    this.#gate();
    this.#refuseRootless('NetNS.resolver()');
    const r = new NetNSResolver(this);
    (this.#resolvers ??= new Set()).add(r);
    return r;
  }

  /**
   * Whether this is a rootless namespace (`createNetNS({ rootless: true })`, or another handle of
   * one): owned by the calling user through the process's rootless helper, which makes its
   * sockets, lookups and links. `do()`, `set()`, `worker()` and `resolver()` throw
   * `NetNSRootlessUnsupportedError` on it (docs/rootless.md).
   */
  get rootless(): boolean {
    return this.#rootless;
  }

  /** Throws `NetNSRootlessUnsupportedError` for `operation` on a rootless handle. */
  #refuseRootless(operation: string): void {
    if (this.#rootless) throw new NetNSRootlessUnsupportedError(operation);
  }

  /** Whether `close()` has been called. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Whether `other` is the same namespace (same device and inode). */
  equals(other: NetNS): boolean {
    validateNetNS(other, 'other');
    return this.inode === other.inode && this.dev === other.dev;
  }

  /**
   * Runs `fn` synchronously with the calling thread inside this namespace, then switches the
   * thread back, also when `fn` throws (the same error propagates). `hostNS` is the namespace
   * the caller was in, valid during the call. Only what happens synchronously inside `fn`
   * follows the namespace (`child_process.spawnSync`, `new Worker`, `listen()` without a host);
   * a `fn` that returns a promise, and an async or generator function (refused before it runs),
   * get `NetNSAsyncCallbackError`. If `fn` calls `process.exit()`, the thread is switched back
   * before the process's `'exit'` handlers run (lib/exit.ts).
   */
  do<T>(fn: (hostNS: NetNS) => T): T {
    const fd = this.#gate();
    this.#refuseRootless('NetNS.do()');
    validateFunction(fn, 'fn');
    if (isDeferredFunction(fn)) throw new NetNSAsyncCallbackError('NetNS.do()');
    let host: NetNS | undefined;
    let threw = false;
    let thrown: unknown;
    let result: T;
    try {
      // What fn throws is caught here, in JS, and rethrown after the switch back: any value
      // (not only Error objects) propagates as the very same value.
      result = native.runInNs(fd, (depth: number) => {
        try {
          return fn((host = NetNS._borrow(() => native.lendHostFd(depth))));
        } catch (e) {
          threw = true;
          thrown = e;
          return undefined;
        }
      }) as T;
    } catch (e) {
      throw fromNative(e);
    } finally {
      host?._release();
    }
    if (threw) throw thrown;
    if (isThenable(result)) {
      // The promise is refused, not awaited; keep its rejection from crashing the process.
      Promise.resolve(result).catch(() => {});
      throw new NetNSAsyncCallbackError('NetNS.do()');
    }
    return result;
  }

  /**
   * Opens a TCP (or unix) connection from inside this namespace: `net.connect()`'s options plus
   * `mark` and `device`, set before the first packet. A hostname is resolved inside this
   * namespace by `lookup()` unless a `lookup` option is given (`dns.lookup` gives the old way). A failed connect is an `'error'` event; `connect()` on the returned
   * socket throws `NetNSReconnectError`.
   */
  connect(options: ConnectOptions, connectListener?: () => void): net.Socket {
    this.#gate();
    return connectIn(this, options, connectListener);
  }

  /** Makes `server` (net, http, https, tls) listen on a socket made inside this namespace. */
  listen<S extends net.Server>(server: S, options?: ListenOptions, listeningListener?: () => void): S {
    this.#gate();
    return listenIn(this, server, options, listeningListener);
  }

  /** Makes a UDP socket inside this namespace, already bound when it is returned. */
  createSocket(
    options: CreateSocketOptions | 'udp4' | 'udp6',
    messageListener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void,
  ): dgram.Socket {
    this.#gate();
    return createSocketIn(this, options, messageListener);
  }

  /** An `http.Agent` whose connections come from inside this namespace. */
  agent(options?: NetNSAgentOptions): NetNSAgent {
    this.#gate();
    return new NetNSAgent(this, options);
  }

  /** An `https.Agent` whose connections come from inside this namespace. */
  httpsAgent(options?: NetNSHttpsAgentOptions): NetNSHttpsAgent {
    this.#gate();
    return new NetNSHttpsAgent(this, options);
  }

  /**
   * `net.createConnection()` from inside this namespace, for libraries that take a
   * `createConnection` function (`http.request`, `ws`): its argument forms, `mark` and `device`,
   * and unknown options ignored as `net` does. Bound to the handle: pass `ns.createConnection`
   * as it is. A second `connect()` on the socket throws `NetNSReconnectError`.
   */
  get createConnection(): typeof createConnection {
    this.#gate();
    this.#createConnection ??= ((...args: unknown[]) => {
      this.#gate();
      return createConnectionIn(this, args);
    }) as typeof createConnection;
    return this.#createConnection;
  }

  /**
   * `tls.connect()` over a TCP (or unix) socket made inside this namespace: every `tls.connect`
   * option, plus `mark` and `device`; unknown options are ignored. Bound to the handle, so it
   * can be a `createConnection` for `wss:` (`ws`).
   */
  get tlsConnect(): (options: TlsConnectOptions, secureConnectListener?: () => void) => tls.TLSSocket {
    this.#gate();
    this.#tlsConnect ??= (options, secureConnectListener) => {
      this.#gate();
      return tlsConnectIn(this, options, secureConnectListener);
    };
    return this.#tlsConnect;
  }

  /**
   * An unconnected `net.Socket` whose first `connect()` (TCP) makes its fd inside this namespace,
   * for clients that connect a stream themselves (`pg`'s `stream` option). A second `connect()`
   * destroys it and throws `NetNSReconnectError`.
   */
  socket(options?: UnconnectedSocketOptions): NetNSUnconnectedSocket {
    this.#gate();
    return unconnectedSocketIn(this, options);
  }

  /**
   * An undici `Agent` whose connections (plain and TLS) are made inside this namespace: pass it
   * as `fetch(url, { dispatcher })` (Node's global fetch or undici's), to undici's `request`, or
   * to `setGlobalDispatcher`. undici's Agent options apply (keep-alive, pipelining,
   * `connectTimeout`, `connect: { ca, ... }`), plus `mark` and `device`.
   */
  dispatcher(options?: DispatcherOptions): Undici.Agent {
    this.#gate();
    return dispatcherIn(this, options);
  }

  /**
   * `http2.connect()` with the session socket made inside this namespace: `http://` is h2c,
   * `https://` is TLS with ALPN `h2` (every TLS option applies), plus `mark` and `device`.
   */
  http2Connect(
    authority: string | URL,
    options?: Http2ConnectOptions,
    listener?: (session: http2.ClientHttp2Session, socket: net.Socket | tls.TLSSocket) => void,
  ): http2.ClientHttp2Session {
    this.#gate();
    return http2ConnectIn(this, authority, options, listener);
  }

  /**
   * A socket fd made in this namespace and set up as `spec` says, from the handle's pool of
   * spares (lib/socketpool.ts); the caller owns it. A borrowed handle has no pool. @internal
   */
  _socketFd(spec: Parameters<typeof native.socketInNs>[1]): number {
    const fd = this.#gate();
    const owned = this.#owned;
    if (!owned) return callNative(() => native.socketInNs(fd, spec));
    return callNative(() => (owned.pool ??= new native.SocketPool(fd)).take(fd, spec, socketPoolSize()));
  }

  /** Switches the calling thread into this namespace for good (`setns(2)`). Prefer `do()`. */
  set(): void {
    const fd = this.#gate();
    this.#refuseRootless('NetNS.set()');
    callNative(() => native.setns(fd, CLONE_NEWNET));
  }

  /**
   * `child_process.spawn`, with the child started in this namespace (lib/procs.ts). In the options
   * of every child method, `netnsView: true` also gives the child this namespace's `etcDir` files
   * over `/etc` and its `/sys`, as `ip netns exec` does (lib/childview.ts).
   */
  declare spawn: typeof childProcess.spawn;
  /** `child_process.exec`, with the shell started in this namespace. */
  declare exec: typeof childProcess.exec;
  /** `child_process.execFile`, with the child started in this namespace. */
  declare execFile: typeof childProcess.execFile;
  /** `child_process.fork`, with the Node child started in this namespace. */
  declare fork: typeof childProcess.fork;
  /** `child_process.spawnSync`, with the child started in this namespace. */
  declare spawnSync: typeof childProcess.spawnSync;
  /** `child_process.execSync`, with the shell started in this namespace. */
  declare execSync: typeof childProcess.execSync;
  /** `child_process.execFileSync`, with the child started in this namespace. */
  declare execFileSync: typeof childProcess.execFileSync;

  static {
    Object.defineProperties(NetNS.prototype, processMethods);
    Object.defineProperties(NetNS.prototype, networkMethods);
  }

  /**
   * Starts a `worker_threads` Worker whose thread is inside this namespace from its first line:
   * every socket it creates, server it starts and child it spawns lives here. The main thread
   * stays where it was, and so does the libuv thread pool the worker shares with it (`dns.lookup`,
   * async `fs`): resolve names with `lookup()` (or a `dns.Resolver` created and used in the worker).
   */
  worker(filename: string | URL, options?: WorkerOptions): Worker {
    this.#gate();
    this.#refuseRootless('NetNS.worker()');
    return workerInNs(this, filename, options);
  }

  /** Closes the file descriptor and the spare sockets of the handle. Calling it again does nothing. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const r of this.#resolvers ?? []) r.close();
    this.#resolvers?.clear();
    if (!this.#owned) return;
    finalizer.unregister(this);
    this.#owned.pool?.close();
    callNative(() => native.closeFd(this.#fd));
  }

  /** Closes the handle at the end of a `using` block. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** @internal */
  [inspect.custom](): string {
    if (this.#closed) return `NetNS { closed: true, path: ${inspect(this.#path)} }`;
    return `NetNS { path: ${inspect(this.path)}, inode: ${this.inode}, fd: ${this.#fd} }`;
  }
}

/** Opens the network namespace at `path` (e.g. `/run/netns/blue` or `/proc/<pid>/ns/net`). */
export function getNS(path: string): NetNS {
  validatePath(path, 'path');
  return NetNS._fromFile(callNative(() => native.openNs(path)));
}

/** Opens the calling thread's network namespace (correct in worker threads too). */
export function getCurrentNS(): NetNS {
  return NetNS._fromFile(callNative(() => native.openCurrentNs()));
}

/**
 * Opens the namespace at `path`, runs `fn` in it as `NetNS.do` does, closes the handle (also
 * when `fn` throws) and returns what `fn` returned.
 */
export function withNetNSPath<T>(path: string, fn: (hostNS: NetNS) => T): T {
  validateFunction(fn, 'fn');
  const ns = getNS(path);
  try {
    return ns.do(fn);
  } finally {
    ns.close();
  }
}
