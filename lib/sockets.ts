/**
 * Sockets that live inside a namespace: TCP and unix clients (`connect`), servers (`listen`) and
 * UDP sockets (`createSocket`). Each fd is made natively inside the namespace, in one call that
 * switches the thread, creates and sets up the socket and switches back, and is then handed to
 * Node, which keeps using it from the event loop thread. A socket never changes namespace.
 */
import cluster from 'node:cluster';
import * as dgram from 'node:dgram';
import * as dns from 'node:dns';
import { rmSync } from 'node:fs';
import * as net from 'node:net';

import { callNative, InvalidArgTypeError, InvalidArgValueError, NetNSError, NetNSReconnectError, NetNSSystemError } from './errors';
import { dgramHandle } from './mark';
import { native } from './native';
import { asNodeUnixPath } from './unixname';
import type { NetNS } from './netns';
import {
  validateBoolean,
  validateDeviceName,
  validateFunction,
  validateInteger,
  validateKnownOptions,
  validateObject,
  validatePort,
  validateString,
  validateUint32,
} from './validate';

/** Where a socket is made: a namespace, or `null` for the calling thread's own. */
type Where = NetNS | null;

/** Options every socket of this module takes, set natively before it binds or connects. */
export interface SocketSteering {
  /** `SO_MARK`, an unsigned 32-bit integer, set before the first packet; needs `CAP_NET_ADMIN`. */
  mark?: number;
  /** `SO_BINDTODEVICE`: a device of the socket's namespace (`ENODEV` otherwise); needs `CAP_NET_ADMIN`. */
  device?: string;
}

/** A hostname lookup, as `dns.lookup` and `net.connect`'s `lookup` option have it. */
export type LookupFunction = net.LookupFunction;

/** The options of `ns.connect()`: those of `net.connect()` plus `mark` and `device`. */
export interface ConnectOptions extends SocketSteering {
  /** The TCP port to connect to. */
  port?: number | string;
  /** An IP address or a hostname (resolved in the calling thread's namespace), default `'localhost'`. */
  host?: string;
  /** The address family of a hostname lookup: 0 (any), 4 or 6. */
  family?: number;
  /** `dns.lookup` hints. */
  hints?: number;
  /** The lookup function for a hostname, default `dns.lookup`. */
  lookup?: LookupFunction;
  /** The local address to bind to before connecting. */
  localAddress?: string;
  /** The local port to bind to before connecting. */
  localPort?: number;
  /** `socket.setTimeout()` in milliseconds. */
  timeout?: number;
  /** Disable Nagle's algorithm once connected. */
  noDelay?: boolean;
  /** Enable TCP keep-alive once connected. */
  keepAlive?: boolean;
  /** The keep-alive initial delay in milliseconds. */
  keepAliveInitialDelay?: number;
  /** Keep the writable side open after the readable side ends. */
  allowHalfOpen?: boolean;
  /** An `AbortSignal` that destroys the socket. */
  signal?: AbortSignal;
  /** A unix socket path; a leading `'\0'` makes it an abstract name, which is per namespace. */
  path?: string;
  /** Only `false` is accepted: one address, one socket, never a second one made elsewhere. */
  autoSelectFamily?: false;
  /** As in `net.connect()`. */
  onread?: net.OnReadOpts;
}

/** The options of `ns.listen()`. */
export interface ListenOptions extends SocketSteering {
  /** The port, default 0 (the kernel picks one: read it from `server.address().port`). */
  port?: number | string;
  /**
   * An IP address or a hostname (resolved in the calling thread's namespace). Default: `::`
   * (dual-stack) if IPv6 works in the namespace, else `0.0.0.0`.
   */
  host?: string;
  /** The listen backlog, default 511. */
  backlog?: number;
  /** With an IPv6 host: accept IPv6 only (`IPV6_V6ONLY`). */
  ipv6Only?: boolean;
  /** `SO_REUSEPORT`. */
  reusePort?: boolean;
  /** A unix socket path instead of a port; a leading `'\0'` makes it an abstract name. */
  path?: string;
}

/** The options of `ns.createSocket()`: a UDP socket, bound before it is returned. */
export interface CreateSocketOptions extends SocketSteering {
  /** `'udp4'` or `'udp6'`. */
  type: 'udp4' | 'udp6';
  /** The IP address to bind to, default `0.0.0.0` or `::`. */
  address?: string;
  /** The port to bind to, default 0 (the kernel picks one). */
  port?: number | string;
  /** `SO_REUSEADDR`. */
  reuseAddr?: boolean;
  /** `SO_REUSEPORT`. */
  reusePort?: boolean;
  /** For `udp6`: IPv6 only (`IPV6_V6ONLY`). */
  ipv6Only?: boolean;
  /** As in `dgram.createSocket()`. */
  recvBufferSize?: number;
  /** As in `dgram.createSocket()`. */
  sendBufferSize?: number;
  /** As in `dgram.createSocket()`, for the hostnames given to `send()`. */
  lookup?: dgram.SocketOptions['lookup'];
  /** As in `dgram.createSocket()`. */
  signal?: AbortSignal;
}

/** The spec of a raw socket fd made by `createSocketFd()`. */
export interface SocketFdSpec extends SocketSteering {
  /** `'ipv4'`, `'ipv6'` or `'unix'`. */
  family: 'ipv4' | 'ipv6' | 'unix';
  /** `'stream'` or `'dgram'`. */
  kind: 'stream' | 'dgram';
  /** `SO_REUSEADDR`. */
  reuseAddr?: boolean;
  /** `SO_REUSEPORT`. */
  reusePort?: boolean;
  /** `IPV6_V6ONLY` (ipv6 only). */
  v6Only?: boolean;
  /** An IP address to bind to (with `port`). */
  address?: string;
  /** A port to bind to (with `address`; 0: any). */
  port?: number;
  /** A unix path to bind to (leading `'\0'`: abstract). */
  path?: string;
  /** Listen with this backlog after binding. */
  backlog?: number;
  /** A unix path to connect to, at once. */
  connectPath?: string;
}

type NativeSpec = Parameters<typeof native.socketInNs>[1];

const CONNECT_OPTIONS: ReadonlySet<string> = new Set([
  'port', 'host', 'family', 'hints', 'lookup', 'localAddress', 'localPort', 'timeout', 'noDelay', 'keepAlive',
  'keepAliveInitialDelay', 'allowHalfOpen', 'signal', 'path', 'autoSelectFamily', 'onread', 'mark', 'device',
]);
const LISTEN_OPTIONS: ReadonlySet<string> = new Set([
  'port', 'host', 'backlog', 'ipv6Only', 'reusePort', 'path', 'mark', 'device',
]);
const UDP_OPTIONS: ReadonlySet<string> = new Set([
  'type', 'address', 'port', 'reuseAddr', 'reusePort', 'ipv6Only', 'recvBufferSize', 'sendBufferSize', 'lookup',
  'signal', 'mark', 'device',
]);
const SPEC_OPTIONS: ReadonlySet<string> = new Set([
  'family', 'kind', 'mark', 'device', 'reuseAddr', 'reusePort', 'v6Only', 'address', 'port', 'path', 'backlog',
  'connectPath',
]);

/** The namespace fd to create in (this checks that the handle is open), or null for here. */
function nsFd(where: Where): number | null {
  return where === null ? null : where.fd;
}

/** Makes a socket fd in the namespace; the caller owns it. */
function makeFd(where: Where, spec: NativeSpec): number {
  const fd = nsFd(where);
  // Abstract unix names as the running Node spells them (Node 20 pads them): see unixname.ts.
  const unix = {
    ...(spec.path === undefined ? {} : { path: asNodeUnixPath(spec.path) }),
    ...(spec.connectPath === undefined ? {} : { connectPath: asNodeUnixPath(spec.connectPath) }),
  };
  return callNative(() => native.socketInNs(fd, { ...spec, ...unix }));
}

function closeQuietly(fd: number): void {
  try {
    native.closeFd(fd);
  } catch {
    // Nothing more to release.
  }
}

function validateSteering(options: SocketSteering, name: string): void {
  if (options.mark !== undefined) validateUint32(options.mark, `${name}.mark`);
  if (options.device !== undefined) validateDeviceName(options.device, `${name}.device`);
}

function validateOptional<T>(value: unknown, check: (v: unknown, n: string) => void, name: string): T | undefined {
  if (value !== undefined) check(value, name);
  return value as T | undefined;
}

function ipFamily(address: string): 'ipv4' | 'ipv6' {
  return net.isIPv6(address) ? 'ipv6' : 'ipv4';
}

function validateIP(value: unknown, name: string): asserts value is string {
  validateString(value, name);
  if (net.isIP(value) === 0) throw new InvalidArgValueError(name, value, 'must be an IP address');
}

function validateUnixPath(value: unknown, name: string): asserts value is string {
  validateString(value, name);
  if (value.length === 0) throw new InvalidArgValueError(name, value, 'must be a non-empty path');
  if (value.indexOf('\0', 1) !== -1) throw new InvalidArgValueError(name, value, 'must not contain null bytes after the first');
}

/**
 * The sockets `connect` returns: connected once, from inside their namespace. A second
 * `connect()` throws `NetNSReconnectError` instead of letting Node make a new socket in the
 * calling thread's namespace. (A subclass, not a patched instance: patching each socket costs
 * every later property access on it, measured at about 5% of a loopback round trip.)
 */
class NetNSSocket extends net.Socket {
  override connect(): never {
    throw new NetNSReconnectError();
  }
}

/** The options of `new net.Socket()` that `connect` passes through. */
function socketOptions(options: ConnectOptions): net.SocketConstructorOpts & Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of ['allowHalfOpen', 'noDelay', 'keepAlive', 'keepAliveInitialDelay', 'signal', 'onread'] as const) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked;
}

/** Checked connect options, with defaults. */
interface ConnectPlan {
  options: ConnectOptions;
  path?: string;
  host: string;
  port: number;
  family: 0 | 4 | 6;
  localPort?: number;
}

function planConnect(options: unknown, strict: boolean): ConnectPlan {
  validateObject(options, 'options');
  if (strict) validateKnownOptions(options, CONNECT_OPTIONS, 'options', 'ns.connect()');
  const o = options as ConnectOptions;
  validateSteering(o, 'options');
  if (o.autoSelectFamily !== undefined && strict) {
    validateBoolean(o.autoSelectFamily, 'options.autoSelectFamily');
    if (o.autoSelectFamily) {
      throw new InvalidArgValueError('options.autoSelectFamily', true, 'must be false: ns.connect() makes exactly one socket');
    }
  }
  validateOptional(o.timeout, (v, n) => validateInteger(v, n, 0, 0x7fff_ffff), 'options.timeout');
  validateOptional(o.noDelay, validateBoolean, 'options.noDelay');
  validateOptional(o.keepAlive, validateBoolean, 'options.keepAlive');
  validateOptional(o.allowHalfOpen, validateBoolean, 'options.allowHalfOpen');
  if (o.path !== undefined && o.path !== null) {
    validateUnixPath(o.path, 'options.path');
    return { options: o, path: o.path, host: '', port: 0, family: 0 };
  }
  if (o.port === undefined) throw new InvalidArgTypeError('options.port', 'of type number', o.port);
  const port = validatePort(o.port, 'options.port');
  const host = o.host ?? 'localhost';
  validateString(host, 'options.host');
  const family = o.family ?? 0;
  if (family !== 0 && family !== 4 && family !== 6) {
    throw new InvalidArgValueError('options.family', family, 'must be one of: 0, 4, 6');
  }
  validateOptional(o.lookup, validateFunction, 'options.lookup');
  validateOptional(o.localAddress, validateIP, 'options.localAddress');
  const localPort = o.localPort === undefined ? undefined : validatePort(o.localPort, 'options.localPort');
  validateOptional(o.hints, (v, n) => validateInteger(v, n, 0, 0x7fff_ffff), 'options.hints');
  return { options: o, host, port, family, localPort };
}

/**
 * Connects a TCP or unix socket from inside `where` (`null`: the calling thread's namespace).
 * `strict` refuses unknown options; the http agents pass request options, which hold many more.
 * @internal
 */
export function connectIn(where: Where, options: unknown, connectListener?: () => void, strict = true): net.Socket {
  const plan = planConnect(options, strict);
  if (connectListener !== undefined) validateFunction(connectListener, 'connectListener');
  const o = plan.options;
  const steering = { mark: o.mark ?? undefined, device: o.device ?? undefined };
  if (plan.path !== undefined) return connectUnix(where, plan.path, o, steering, connectListener);

  const tcpOptions: net.TcpNetConnectOpts = {
    host: plan.host,
    port: plan.port,
    family: plan.family,
    autoSelectFamily: false,
  };
  if (o.localAddress !== undefined) tcpOptions.localAddress = o.localAddress;
  if (plan.localPort !== undefined) tcpOptions.localPort = plan.localPort;
  if (o.hints !== undefined) tcpOptions.hints = o.hints;

  // An IP: make the fd now, so that its errors throw here. A hostname: Node resolves it in this
  // namespace, and the fd is made inside `where` with the family of the answer.
  // The socket object first: its constructor checks options (signal, keepAliveInitialDelay, ...)
  // before any fd exists.
  const isIP = net.isIP(plan.host) !== 0;
  const socket = new NetNSSocket(socketOptions(o));
  let fd = -1;
  if (isIP) {
    try {
      fd = makeFd(where, { family: ipFamily(plan.host), kind: 'stream', ...steering });
    } catch (e) {
      socket.destroy();
      throw e;
    }
  }
  if (!isIP) tcpOptions.lookup = hookLookup(where, socket, o.lookup ?? (dns.lookup as LookupFunction), steering);
  const connect = net.Socket.prototype.connect as (options: net.SocketConnectOpts, listener?: () => void) => net.Socket;
  try {
    connect.call(socket, tcpOptions, connectListener);
  } catch (e) {
    // Node refused an option synchronously.
    if (isIP) closeQuietly(fd);
    socket.destroy();
    throw e;
  }
  // connect() made the socket's (still empty) handle and defers the connect to the next tick:
  // give the handle our fd now, so Node connects it instead of making a socket of its own.
  if (isIP) openInHandle(socket, fd);
  if (o.timeout) socket.setTimeout(o.timeout);
  return socket;
}

interface HandleWithOpen {
  open(fd: number): number;
}

/**
 * Puts `fd` into the socket's handle (libuv `uv_tcp_open`), which `connect()` has created empty;
 * on failure the fd is closed and the error thrown.
 */
function openInHandle(socket: net.Socket, fd: number): void {
  const handle = (socket as unknown as { _handle?: HandleWithOpen | null })._handle;
  const status = handle ? handle.open(fd) : -9; // -EBADF: the socket was destroyed meanwhile
  if (status !== 0) {
    closeQuietly(fd);
    throw Object.assign(new Error(`cannot open fd ${fd} in the socket handle (${status})`), { code: 'EBADF', errno: status, syscall: 'open' });
  }
}

/** Wraps a lookup so that each answer gets a socket made in `where` before Node connects. */
function hookLookup(where: Where, socket: net.Socket, lookup: LookupFunction, steering: SocketSteering): LookupFunction {
  return (hostname, dnsOptions, callback) => {
    lookup(hostname, dnsOptions, (err, address, family) => {
      const handle = (socket as unknown as { _handle?: HandleWithOpen | null })._handle;
      // On an error, a non-IP answer or a socket destroyed meanwhile, Node makes no socket.
      if (err || typeof address !== 'string' || net.isIP(address) === 0 || !socket.connecting || !handle) {
        callback(err, address, family);
        return;
      }
      let fd: number;
      try {
        fd = makeFd(where, { family: ipFamily(address), kind: 'stream', ...steering });
      } catch (e) {
        callback(e as NodeJS.ErrnoException, address, family);
        return;
      }
      try {
        openInHandle(socket, fd);
      } catch (e) {
        callback(e as NodeJS.ErrnoException, address, family);
        return;
      }
      callback(null, address, net.isIP(address));
    });
  };
}

/** A unix connect completes at once, so it is done natively; failure is an 'error' event. */
function connectUnix(
  where: Where,
  path: string,
  o: ConnectOptions,
  steering: SocketSteering,
  connectListener?: () => void,
): net.Socket {
  let fd: number;
  try {
    fd = makeFd(where, { family: 'unix', kind: 'stream', connectPath: path, ...steering });
  } catch (e) {
    if (!(e instanceof NetNSSystemError) || e.syscall !== 'connect') throw e;
    // As with TCP: a socket whose connect failed, reported as an error event.
    const failed = new NetNSSocket(socketOptions(o));
    (failed as { connecting: boolean }).connecting = true;
    if (connectListener) failed.once('connect', connectListener);
    process.nextTick(() => failed.destroy(e));
    return failed;
  }
  let socket: net.Socket;
  try {
    socket = new NetNSSocket({ ...socketOptions(o), fd, readable: true, writable: true });
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
  if (connectListener) socket.once('connect', connectListener);
  if (o.timeout) socket.setTimeout(o.timeout);
  process.nextTick(() => {
    if (socket.destroyed) return;
    socket.emit('connect');
    socket.emit('ready');
  });
  return socket;
}

/** Whether the error says IPv6 does not work in the namespace (then `listen` falls back to IPv4). */
function noIPv6(e: unknown): boolean {
  return e instanceof NetNSSystemError && (e.code === 'EAFNOSUPPORT' || e.code === 'EADDRNOTAVAIL');
}

/**
 * Makes `server` listen on a socket made inside `where` (`null`: the calling thread's
 * namespace). Returns the server; 'listening' follows as with `server.listen()`.
 * @internal
 */
export function listenIn<S extends net.Server>(where: Where, server: S, options: unknown, listeningListener?: () => void): S {
  if (!(server instanceof net.Server)) {
    throw new InvalidArgTypeError('server', 'an instance of net.Server (or http.Server, https.Server, tls.Server)', server);
  }
  if (options === undefined) options = {};
  validateObject(options, 'options');
  validateKnownOptions(options, LISTEN_OPTIONS, 'options', 'ns.listen()');
  const o = options as ListenOptions;
  validateSteering(o, 'options');
  const backlog = o.backlog ?? 511;
  validateInteger(backlog, 'options.backlog', 0, 0x7fff_ffff);
  validateOptional(o.ipv6Only, validateBoolean, 'options.ipv6Only');
  validateOptional(o.reusePort, validateBoolean, 'options.reusePort');
  if (listeningListener !== undefined) validateFunction(listeningListener, 'listeningListener');
  if (server.listening) throw new NetNSError('ERR_SERVER_ALREADY_LISTEN', 'the server is already listening: call ns.listen() on a new server');
  if (cluster.isWorker) {
    // A cluster worker sends a listening fd's *number* to the primary, which would wrap its own
    // fd of that number: a socket in the primary's namespace, or a wrong one.
    throw new NetNSError('ERR_NETNS_CLUSTER_WORKER', 'ns.listen() cannot hand a socket to a cluster worker\'s server; use it in the primary, or in a worker_threads Worker');
  }
  const steering = { mark: o.mark, device: o.device };

  if (o.path !== undefined) {
    validateUnixPath(o.path, 'options.path');
    if (o.port !== undefined || o.host !== undefined) {
      throw new InvalidArgValueError('options.path', o.path, 'cannot be combined with port or host');
    }
    const fd = makeFd(where, { family: 'unix', kind: 'stream', path: o.path, backlog, ...steering });
    try {
      adopt(server, fd, backlog, listeningListener);
    } catch (e) {
      // A path on the file system was bound: remove it with the socket (abstract names go alone).
      if (!o.path.startsWith('\0')) rmSync(o.path, { force: true });
      throw e;
    }
    // Lets server.address() return the path, as it does for a server that listens on a path.
    (server as unknown as { _pipeName?: string })._pipeName = o.path;
    return server;
  }

  const port = validatePort(o.port ?? 0, 'options.port');
  const base: NativeSpec = { family: 'ipv4', kind: 'stream', reuseAddr: true, backlog, port, ...steering };
  if (o.reusePort) base.reusePort = true;
  const v6Only = o.ipv6Only ?? false;
  if (o.host === undefined) {
    let fd: number;
    try {
      fd = makeFd(where, { ...base, family: 'ipv6', address: '::', v6Only });
    } catch (e) {
      if (!noIPv6(e)) throw e;
      fd = makeFd(where, { ...base, family: 'ipv4', address: '0.0.0.0' });
    }
    return adopt(server, fd, backlog, listeningListener);
  }
  validateString(o.host, 'options.host');
  if (net.isIP(o.host) !== 0) {
    const family = ipFamily(o.host);
    const fd = makeFd(where, { ...base, family, address: o.host, ...(family === 'ipv6' ? { v6Only } : {}) });
    return adopt(server, fd, backlog, listeningListener);
  }
  // A hostname: resolved in the calling thread's namespace, as `server.listen()` would; the
  // socket is made when the answer comes, and a failure is the server's 'error' event.
  nsFd(where);
  dns.lookup(o.host, (err, address) => {
    if (err) {
      server.emit('error', err);
      return;
    }
    let fd: number;
    try {
      const family = ipFamily(address);
      fd = makeFd(where, { ...base, family, address, ...(family === 'ipv6' ? { v6Only } : {}) });
    } catch (e) {
      server.emit('error', e);
      return;
    }
    try {
      adopt(server, fd, backlog, listeningListener);
    } catch (e) {
      server.emit('error', e);
    }
  });
  return server;
}

/** Hands a listening fd to the server; closes the fd if Node refuses it. */
function adopt<S extends net.Server>(server: S, fd: number, backlog: number, listeningListener?: () => void): S {
  try {
    server.listen({ fd, backlog }, listeningListener);
  } catch (e) {
    closeQuietly(fd);
    throw e;
  }
  return server;
}

/**
 * Makes a UDP socket inside `where` (`null`: the calling thread's namespace), bound before it
 * is returned, so `'listening'` has already been emitted and `address()` works at once.
 * @internal
 */
export function createSocketIn(where: Where, options: unknown, messageListener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void): dgram.Socket {
  if (typeof options === 'string') options = { type: options };
  validateObject(options, 'options');
  validateKnownOptions(options, UDP_OPTIONS, 'options', 'ns.createSocket()');
  const o = options as unknown as CreateSocketOptions;
  if (o.type !== 'udp4' && o.type !== 'udp6') {
    throw new InvalidArgValueError('options.type', o.type, "must be 'udp4' or 'udp6'");
  }
  validateSteering(o, 'options');
  const family = o.type === 'udp6' ? 'ipv6' : 'ipv4';
  const address = o.address ?? (family === 'ipv6' ? '::' : '0.0.0.0');
  validateIP(address, 'options.address');
  if (ipFamily(address) !== family) {
    throw new InvalidArgValueError('options.address', address, `must be an ${family === 'ipv6' ? 'IPv6' : 'IPv4'} address for ${o.type}`);
  }
  const port = validatePort(o.port ?? 0, 'options.port');
  validateOptional(o.reuseAddr, validateBoolean, 'options.reuseAddr');
  validateOptional(o.reusePort, validateBoolean, 'options.reusePort');
  validateOptional(o.ipv6Only, validateBoolean, 'options.ipv6Only');
  if (messageListener !== undefined) validateFunction(messageListener, 'callback');

  const dgramOptions: dgram.SocketOptions = { type: o.type };
  const bufferSize = (v: unknown, n: string) => validateInteger(v, n, 1, 0x7fff_ffff);
  validateOptional(o.recvBufferSize, bufferSize, 'options.recvBufferSize');
  validateOptional(o.sendBufferSize, bufferSize, 'options.sendBufferSize');
  if (o.recvBufferSize !== undefined) dgramOptions.recvBufferSize = o.recvBufferSize;
  if (o.sendBufferSize !== undefined) dgramOptions.sendBufferSize = o.sendBufferSize;
  if (o.lookup !== undefined) dgramOptions.lookup = o.lookup;
  if (o.signal !== undefined) dgramOptions.signal = o.signal;
  // Node checks the other options here, before any fd exists.
  const socket = dgram.createSocket(dgramOptions, messageListener);

  const spec: NativeSpec = { family, kind: 'dgram', address, port, mark: o.mark, device: o.device };
  if (o.reuseAddr) spec.reuseAddr = true;
  if (o.reusePort) spec.reusePort = true;
  if (family === 'ipv6' && o.ipv6Only !== undefined) spec.v6Only = o.ipv6Only;
  let fd: number;
  try {
    fd = makeFd(where, spec);
  } catch (e) {
    socket.close();
    throw e;
  }
  try {
    socket.bind({ fd });
  } catch (e) {
    // Once the socket's handle has opened the fd it owns it, and close() closes it: closing it
    // here as well could close an fd number another thread has been given meanwhile.
    if (dgramHandle(socket)?.fd !== fd) closeQuietly(fd);
    socket.close();
    throw e;
  }
  return socket;
}

/**
 * Creates a socket fd inside `ns` (`null`: the calling thread's namespace) as `spec` says and
 * returns it; the caller owns it (close it, or hand it to Node). This is the fd path that
 * `ns.connect()`, `ns.listen()` and `ns.createSocket()` use, without the Node wrapping.
 */
export function createSocketFd(ns: NetNS | null, spec: SocketFdSpec): number {
  validateObject(spec, 'spec');
  validateKnownOptions(spec, SPEC_OPTIONS, 'spec', 'createSocketFd()');
  if (spec.family !== 'ipv4' && spec.family !== 'ipv6' && spec.family !== 'unix') {
    throw new InvalidArgValueError('spec.family', spec.family, "must be 'ipv4', 'ipv6' or 'unix'");
  }
  if (spec.kind !== 'stream' && spec.kind !== 'dgram') {
    throw new InvalidArgValueError('spec.kind', spec.kind, "must be 'stream' or 'dgram'");
  }
  validateSteering(spec, 'spec');
  validateOptional(spec.reuseAddr, validateBoolean, 'spec.reuseAddr');
  validateOptional(spec.reusePort, validateBoolean, 'spec.reusePort');
  validateOptional(spec.v6Only, validateBoolean, 'spec.v6Only');
  validateOptional(spec.address, validateIP, 'spec.address');
  if (spec.port !== undefined) validatePort(spec.port, 'spec.port');
  validateOptional(spec.path, validateUnixPath, 'spec.path');
  validateOptional(spec.connectPath, validateUnixPath, 'spec.connectPath');
  validateOptional(spec.backlog, (v, n) => validateInteger(v, n, 0, 0x7fff_ffff), 'spec.backlog');
  if (spec.path !== undefined && (spec.address !== undefined || spec.port !== undefined)) {
    throw new InvalidArgValueError('spec.path', spec.path, 'cannot be combined with address or port');
  }
  // Options that only make sense for one family or kind: refused here, not left to the kernel.
  const unix = spec.family === 'unix';
  for (const key of ['path', 'connectPath'] as const) {
    if (spec[key] !== undefined && !unix) throw new InvalidArgValueError(`spec.${key}`, spec[key], "needs family 'unix'");
  }
  for (const key of ['address', 'port'] as const) {
    if (spec[key] !== undefined && unix) throw new InvalidArgValueError(`spec.${key}`, spec[key], "needs family 'ipv4' or 'ipv6'");
  }
  if (spec.address !== undefined && ipFamily(spec.address) !== spec.family) {
    throw new InvalidArgValueError('spec.address', spec.address, `is not an ${spec.family === 'ipv6' ? 'IPv6' : 'IPv4'} address`);
  }
  if (spec.v6Only !== undefined && spec.family !== 'ipv6') throw new InvalidArgValueError('spec.v6Only', spec.v6Only, "needs family 'ipv6'");
  if (spec.backlog !== undefined && spec.kind !== 'stream') throw new InvalidArgValueError('spec.backlog', spec.backlog, "needs kind 'stream'");
  return makeFd(ns, { ...spec });
}

/**
 * Connects from the calling thread's own namespace, with `mark` and `device` set before the
 * first packet; otherwise `net.connect()`.
 */
export function connect(options: ConnectOptions, connectListener?: () => void): net.Socket {
  return connectIn(null, options, connectListener);
}

/** Makes `server` listen in the calling thread's namespace, with `mark`, `device`, `reusePort`. */
export function listen<S extends net.Server>(server: S, options?: ListenOptions, listeningListener?: () => void): S {
  return listenIn(null, server, options, listeningListener);
}

/** A UDP socket in the calling thread's namespace, with `mark` and `device`, bound when returned. */
export function createSocket(
  options: CreateSocketOptions | 'udp4' | 'udp6',
  messageListener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void,
): dgram.Socket {
  return createSocketIn(null, options, messageListener);
}
