/**
 * TCP and unix clients made inside a namespace: `ns.connect()` and `connect()`. The fd is made
 * natively in the namespace and put into the handle of a `net.Socket`, which refuses a second
 * `connect()` (that would make a new socket in the calling thread's namespace).
 */
import * as net from 'node:net';

import { defaultLookup } from '../lookup';
import { InvalidArgTypeError, InvalidArgValueError, NetNSReconnectError, NetNSSystemError } from '../errors';
import {
  validateBoolean,
  validateFunction,
  validateInteger,
  validateKnownOptions,
  validateObject,
  validatePort,
  validateString,
} from '../validate';
import {
  closeQuietly,
  ipFamily,
  makeFd,
  validateIP,
  validateOptional,
  validateSteering,
  validateUnixPath,
  type LookupFunction,
  type SocketSteering,
  type Where,
} from './common';

/** The options of `ns.connect()`: those of `net.connect()` plus `mark` and `device`. */
export interface ConnectOptions extends SocketSteering {
  /** The TCP port to connect to. */
  port?: number | string;
  /** An IP address or a hostname (resolved inside the namespace by `ns.lookup`), default `'localhost'`. */
  host?: string;
  /** The address family of a hostname lookup: 0 (any), 4 or 6. */
  family?: number;
  /** `dns.lookup` hints. */
  hints?: number;
  /** The lookup function for a hostname: default `ns.lookup` (`dns.lookup` for top-level `connect`). */
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

const CONNECT_OPTIONS: ReadonlySet<string> = new Set([
  'port', 'host', 'family', 'hints', 'lookup', 'localAddress', 'localPort', 'timeout', 'noDelay', 'keepAlive',
  'keepAliveInitialDelay', 'allowHalfOpen', 'signal', 'path', 'autoSelectFamily', 'onread', 'mark', 'device',
]);
/**
 * The sockets `connect` returns: connected once, from inside their namespace. A second
 * `connect()` destroys the socket and throws `NetNSReconnectError` instead of letting Node make a new socket in the
 * calling thread's namespace. (A subclass, not a patched instance: patching each socket costs
 * every later property access on it, measured at about 5% of a loopback round trip.)
 */
export class NetNSSocket extends net.Socket {
  /** Destroys the socket (no fd stays open, `'close'` follows) and throws `NetNSReconnectError`. */
  override connect(): never {
    this.destroy();
    throw new NetNSReconnectError();
  }
}

/** The options of `new net.Socket()` that `connect` passes through. @internal */
export function socketOptions(options: ConnectOptions): net.SocketConstructorOpts & Record<string, unknown> {
  const picked: Record<string, unknown> = {};
  for (const key of ['allowHalfOpen', 'noDelay', 'keepAlive', 'keepAliveInitialDelay', 'signal', 'onread'] as const) {
    if (options[key] !== undefined) picked[key] = options[key];
  }
  return picked;
}

/** Checked connect options, with defaults. @internal */
export interface ConnectPlan {
  options: ConnectOptions;
  path?: string;
  host: string;
  port: number;
  family: 0 | 4 | 6;
  localPort?: number;
}

/**
 * Checks connect options and fills in defaults. `strict` refuses unknown options.
 * @internal
 */
export function planConnect(options: unknown, strict: boolean): ConnectPlan {
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
 * Whether a connect to `options` needs the fallback over the addresses of a hostname: a TCP
 * connect to a host that is not an IP address. (Checks nothing: `connectIn` does.)
 * @internal
 */
export function needsFallback(options: Record<string, unknown>): boolean {
  if (options.path !== undefined) return false;
  const host = options.host ?? 'localhost';
  return typeof host === 'string' && net.isIP(host) === 0;
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
  if (plan.path !== undefined) return connectUnix(where, plan.path, o, steeringOf(o), connectListener);
  // The socket object first: its constructor checks options (signal, keepAliveInitialDelay, ...)
  // before any fd exists.
  const socket = new NetNSSocket(socketOptions(o));
  startTcp(where, socket, plan, connectListener);
  return socket;
}

function steeringOf(o: SocketSteering): SocketSteering {
  return { mark: o.mark ?? undefined, device: o.device ?? undefined };
}

/**
 * Starts the TCP connect of a planned, not yet connected `socket` from inside `where`. An IP:
 * the fd is made now, so that its errors throw here. A hostname: Node resolves it in this
 * namespace, and the fd is made inside `where` with the family of the answer. On a throw the
 * socket is destroyed and no fd is left.
 * @internal
 */
export function startTcp(where: Where, socket: net.Socket, plan: ConnectPlan, connectListener?: () => void): void {
  const o = plan.options;
  const steering = steeringOf(o);
  const tcpOptions: net.TcpNetConnectOpts = {
    host: plan.host,
    port: plan.port,
    family: plan.family,
    autoSelectFamily: false,
  };
  if (o.localAddress !== undefined) tcpOptions.localAddress = o.localAddress;
  if (plan.localPort !== undefined) tcpOptions.localPort = plan.localPort;
  if (o.hints !== undefined) tcpOptions.hints = o.hints;

  const isIP = net.isIP(plan.host) !== 0;
  let fd = -1;
  if (isIP) {
    try {
      fd = makeFd(where, { family: ipFamily(plan.host), kind: 'stream', ...steering });
    } catch (e) {
      socket.destroy();
      throw e;
    }
  }
  if (!isIP) tcpOptions.lookup = hookLookup(where, socket, o.lookup ?? defaultLookup(where), steering);
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
  if (isIP) {
    try {
      openInHandle(socket, fd);
    } catch (e) {
      socket.destroy();
      throw e;
    }
  }
  if (o.timeout) socket.setTimeout(o.timeout);
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

/**
 * Connects from the calling thread's own namespace, with `mark` and `device` set before the
 * first packet; otherwise `net.connect()`.
 */
export function connect(options: ConnectOptions, connectListener?: () => void): net.Socket {
  return connectIn(null, options, connectListener);
}

