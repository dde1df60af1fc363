/**
 * Sockets that are made unconnected and connect later, for clients that call `connect()`
 * themselves (`pg`'s `stream` option): `ns.socket()`. The first `connect()` makes the fd inside
 * the namespace; a second one is refused, as on the sockets of `ns.connect()`.
 */
import * as net from 'node:net';

import { InvalidArgValueError, NetNSReconnectError } from '../errors';
import { validateKnownOptions, validateObject } from '../validate';
import { validateSteering, type SocketSteering, type Where } from './common';
import { planConnect, socketOptions, startTcp, type ConnectOptions } from './connect';

/** The options of `ns.socket()`: those of `new net.Socket()` (no `fd`) plus `mark` and `device`. */
export interface UnconnectedSocketOptions extends SocketSteering {
  /** Keep the writable side open after the readable side ends. */
  allowHalfOpen?: boolean;
  /** Disable Nagle's algorithm once connected. */
  noDelay?: boolean;
  /** Enable TCP keep-alive once connected. */
  keepAlive?: boolean;
  /** The keep-alive initial delay in milliseconds. */
  keepAliveInitialDelay?: number;
  /** An `AbortSignal` that destroys the socket. */
  signal?: AbortSignal;
  /** As in `new net.Socket()`. */
  onread?: net.OnReadOpts;
}

const SOCKET_OPTIONS: ReadonlySet<string> = new Set([
  'allowHalfOpen', 'noDelay', 'keepAlive', 'keepAliveInitialDelay', 'signal', 'onread', 'mark', 'device',
]);

/** Connect options and the connect listener. @internal */
export type ConnectArgs = [options: ConnectOptions, listener?: () => void];

/**
 * `connect()`'s argument forms, as `net.Socket#connect` and `net.createConnection` take them:
 * (options, cb), (port, host?, cb?), (path, cb?).
 * @internal
 */
export function normalizeArgs(args: unknown[]): ConnectArgs {
  const last = args[args.length - 1];
  const listener = typeof last === 'function' ? (last as () => void) : undefined;
  const rest = listener ? args.slice(0, -1) : args;
  const [first, second] = rest;
  if (first !== null && typeof first === 'object') return [first as ConnectOptions, listener];
  // As net's isPipeName: a string that is not a number >= 0 ('8080', ' 8080', '0x1f90') is a path.
  if (typeof first === 'string' && !(Number(first) >= 0)) return [{ path: first }, listener];
  return [{ port: first as number, ...(typeof second === 'string' ? { host: second } : {}) }, listener];
}

/**
 * A `net.Socket` made unconnected; its first `connect()` (any of `net.Socket#connect`'s forms;
 * TCP only) makes its fd inside the namespace, with `mark` and `device`. Unknown connect options
 * are ignored, as `net` does. A second `connect()` destroys the socket and throws
 * `NetNSReconnectError`.
 */
export class NetNSUnconnectedSocket extends net.Socket {
  readonly #where: Where;
  readonly #steering: SocketSteering;
  #used = false;

  /** @internal */
  constructor(where: Where, options: UnconnectedSocketOptions) {
    super(socketOptions(options as ConnectOptions));
    this.#where = where;
    this.#steering = { mark: options.mark, device: options.device };
  }

  /** Connects once, from inside the socket's namespace. */
  override connect(...args: unknown[]): this {
    if (this.#used) {
      this.destroy();
      throw new NetNSReconnectError();
    }
    this.#used = true;
    const [options, listener] = normalizeArgs(args);
    let plan;
    try {
      validateObject(options, 'options');
      const merged = { ...this.#steering, ...options };
      plan = planConnect(merged, false);
      if (plan.path !== undefined) {
        throw new InvalidArgValueError('options.path', plan.path, 'is not supported by ns.socket(): use ns.connect({ path }) for unix sockets');
      }
    } catch (e) {
      this.destroy();
      throw e;
    }
    startTcp(this.#where, this, plan, listener);
    return this;
  }
}

/**
 * Checks `ns.socket()`'s options and makes the socket (no fd yet).
 * @internal
 */
export function unconnectedSocketIn(where: Where, options: unknown): NetNSUnconnectedSocket {
  if (options === undefined) options = {};
  validateObject(options, 'options');
  validateKnownOptions(options, SOCKET_OPTIONS, 'options', 'ns.socket()');
  validateSteering(options as SocketSteering, 'options');
  void where?.fd; // The gate: a closed handle throws before a socket exists.
  return new NetNSUnconnectedSocket(where, options as UnconnectedSocketOptions);
}

/** An unconnected socket whose first `connect()` happens in the calling thread's namespace, with `mark` and `device`. */
export function socket(options?: UnconnectedSocketOptions): NetNSUnconnectedSocket {
  return unconnectedSocketIn(null, options);
}
