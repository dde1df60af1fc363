/**
 * `ns.dispatcher()`: an undici `Agent` whose connections are made inside a namespace, for
 * Node's global `fetch(url, { dispatcher })`, undici's own `fetch`/`request`, and
 * `setGlobalDispatcher`. undici is loaded on the first call.
 *
 * undici connects through a `connect(options, callback)` function; this one makes the TCP socket
 * with `connectAnyIn` (every address of a hostname in turn, each socket made inside the
 * namespace) and, for `https:`, hands it to undici's own TLS connector as the socket to upgrade,
 * so that undici's `connect` options (`ca`, `servername`, `rejectUnauthorized`, sessions,
 * ALPN with `allowH2`) apply unchanged. The connect timeout covers both steps.
 */
import type * as net from 'node:net';
import type * as Undici from 'undici';

import { InvalidArgValueError } from './errors';
import { validateSteering, type SocketSteering, type Where } from './sockets/common';
import { connectAnyIn } from './sockets/fallback';
import { validateInteger, validateObject } from './validate';

/** The options of `ns.dispatcher()`: those of undici's `Agent` plus `mark` and `device`; `connect` is an options object, not a function. */
export type DispatcherOptions = Omit<Undici.Agent.Options, 'connect'> &
  SocketSteering & {
    /** undici's connect options: TLS options (`ca`, `servername`, ...), `timeout`, `keepAlive`, `keepAliveInitialDelay`. */
    connect?: Undici.buildConnector.BuildOptions;
  };

let undici: typeof Undici | undefined;

/** The undici package, loaded once, on first use. */
function loadUndici(): typeof Undici {
  undici ??= require('undici') as typeof Undici;
  return undici;
}

/** undici's default connect timeout, in milliseconds. */
const DEFAULT_CONNECT_TIMEOUT = 10_000;

/** The connect function undici's clients call for each new connection. */
function namespaceConnector(where: Where, options: DispatcherOptions): Undici.buildConnector.connector {
  const u = loadUndici();
  const connectOptions = (options.connect ?? {}) as Record<string, unknown>;
  const timeout = (connectOptions.timeout as number | null | undefined) ?? options.connectTimeout ?? DEFAULT_CONNECT_TIMEOUT;
  // undici's own TLS step, used only to upgrade a socket made here (`httpSocket`).
  const upgrade = u.buildConnector({
    ...connectOptions,
    timeout: null,
    allowH2: options.allowH2,
    maxCachedSessions: options.maxCachedSessions,
  } as Undici.buildConnector.BuildOptions);
  const keepAlive = connectOptions.keepAlive ?? true;
  const keepAliveInitialDelay = (connectOptions.keepAliveInitialDelay as number | undefined) ?? 60_000;

  return (opts, callback) => {
    const controller = new AbortController();
    let done = false;
    let upgrading: net.Socket | undefined;
    const finish = (err: Error | null, socket?: net.Socket): void => {
      if (done) {
        socket?.destroy();
        return;
      }
      done = true;
      if (timer) clearTimeout(timer);
      if (err) {
        controller.abort(err); // Destroys a socket still connecting; no further attempt starts.
        socket?.destroy();
        upgrading?.destroy();
        callback(err, null);
      } else {
        callback(null, socket as net.Socket);
      }
    };
    const timer = timeout ? setTimeout(() => finish(new u.errors.ConnectTimeoutError()), timeout) : undefined;
    const secure = opts.protocol === 'https:';
    const target: Record<string, unknown> = options.socketPath
      ? { path: options.socketPath }
      : { host: opts.hostname, port: Number(opts.port) || (secure ? 443 : 80) };
    if (opts.localAddress) target.localAddress = opts.localAddress;
    try {
      connectAnyIn(where, { ...target, mark: options.mark, device: options.device, signal: controller.signal }, (err, tcp) => {
        if (err || !tcp) return finish(err ?? new Error('no socket'));
        if (done) return tcp.destroy();
        if (keepAlive) tcp.setKeepAlive(true, keepAliveInitialDelay);
        tcp.setNoDelay(true);
        if (!secure) return finish(null, tcp);
        // undici's connector returns the TLS socket it makes (its type says void).
        const startTls = upgrade as unknown as (o: Undici.buildConnector.Options, cb: Undici.buildConnector.Callback) => net.Socket;
        upgrading = startTls({ ...opts, httpSocket: tcp }, (tlsErr, tlsSocket) => {
          if (tlsErr) {
            tcp.destroy();
            return finish(tlsErr);
          }
          return finish(null, tlsSocket as net.Socket);
        });
        return undefined;
      });
    } catch (e) {
      finish(e as Error);
    }
  };
}

/**
 * Checks the options and builds an undici `Agent` whose every connection is made inside `where`.
 * @internal
 */
export function dispatcherIn(where: Where, options?: unknown): Undici.Agent {
  if (options === undefined) options = {};
  validateObject(options, 'options');
  const o = options as DispatcherOptions & Record<string, unknown>;
  validateSteering(o, 'options');
  if (o.connect !== undefined && o.connect !== null) {
    if (typeof o.connect === 'function') {
      throw new InvalidArgValueError('options.connect', o.connect, 'must be an options object: ns.dispatcher() makes the connections itself');
    }
    validateObject(o.connect, 'options.connect');
    const t = (o.connect as { timeout?: unknown }).timeout;
    if (t !== undefined && t !== null) validateInteger(t, 'options.connect.timeout', 0, 0x7fff_ffff);
  }
  if (o.connectTimeout !== undefined && o.connectTimeout !== null) validateInteger(o.connectTimeout, 'options.connectTimeout', 0, 0x7fff_ffff);
  void where?.fd; // The gate: a closed handle throws before anything is made.
  const { mark: _mark, device: _device, connect: _connect, ...agentOptions } = o;
  const u = loadUndici();
  return new u.Agent({ ...agentOptions, connect: namespaceConnector(where, o) });
}

/** An undici `Agent` for the calling thread's namespace, with `mark` and `device` on every connection. */
export function dispatcher(options?: DispatcherOptions): Undici.Agent {
  return dispatcherIn(null, options);
}
