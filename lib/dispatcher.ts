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

/** The key of an origin, as both a request's `origin` and a connector's options give it. */
function originKey(protocol: string, hostname: string, port: string | number | undefined): string {
  return `${protocol}//${hostname}:${port || (protocol === 'https:' ? 443 : 80)}`;
}

/**
 * The connects in flight of one dispatcher, by origin, and the requests that wait for a
 * connection there. undici gives a connect no signal, and a request aborted while it waits stays
 * queued until a connection is made: so a connect whose every waiting request was aborted is
 * ended here, and so are all of them when the dispatcher is destroyed.
 */
class Inflight {
  readonly #connects = new Map<string, Set<(err: Error) => void>>();
  readonly #waiting = new Map<string, number>();

  /** Registers a connect to `key`; `fail` ends it. Returns its unregistration. */
  connect(key: string, fail: (err: Error) => void): () => void {
    let set = this.#connects.get(key);
    if (!set) this.#connects.set(key, (set = new Set()));
    set.add(fail);
    return () => {
      set.delete(fail);
      if (set.size === 0 && this.#connects.get(key) === set) this.#connects.delete(key);
    };
  }

  /** A request to `key` now waits for a connection; the returned function says it no longer does (`aborted`: by its caller). */
  wait(key: string): (aborted: Error | undefined) => void {
    this.#waiting.set(key, (this.#waiting.get(key) ?? 0) + 1);
    let waiting = true;
    return (aborted) => {
      if (!waiting) return;
      waiting = false;
      const left = (this.#waiting.get(key) ?? 1) - 1;
      if (left > 0) this.#waiting.set(key, left);
      else this.#waiting.delete(key);
      if (aborted && left === 0) this.fail(aborted, key);
    };
  }

  /** Ends the connects in flight (to `key` only, if given). */
  fail(err: Error, key?: string): void {
    for (const [k, set] of this.#connects) if (key === undefined || k === key) for (const fail of [...set]) fail(err);
  }

  /** Ends the connects that no request waits for. */
  failUnwanted(err: Error): void {
    for (const key of this.#connects.keys()) if (!this.#waiting.has(key)) this.fail(err, key);
  }
}

/** An AbortError, as a request aborted by its caller gets. */
function abortError(): Error {
  return Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR' });
}

/**
 * Dispatches through `agent` while telling `inflight` which requests wait for a connection. A
 * handler with `onConnect` (fetch's, undici.request's) is given an abort function at once, which
 * it calls when its caller aborts before a connection exists; undici's own `onConnect` follows.
 */
function trackRequests(agent: Undici.Agent, inflight: Inflight): void {
  const dispatch = agent.dispatch.bind(agent);
  agent.dispatch = (opts, handler) => {
    const origin = new URL(String(opts.origin));
    const done = inflight.wait(originKey(origin.protocol, origin.hostname, origin.port));
    const h = handler as Record<string, unknown> & Undici.Dispatcher.DispatchHandlers;
    if (typeof h.onConnect === 'function') h.onConnect((err?: Error) => done(err ?? abortError()));
    const wrapped = new Proxy(h, {
      get(target, prop, receiver) {
        const value = Reflect.get(target, prop, receiver) as unknown;
        if (typeof value !== 'function' || !['onConnect', 'onError', 'onComplete', 'onUpgrade', 'onRequestStart', 'onResponseError'].includes(prop as string)) return value;
        return (...args: unknown[]) => {
          done(undefined);
          return (value as (...a: unknown[]) => unknown).apply(target, args);
        };
      },
    });
    return dispatch(opts, wrapped);
  };
  const destroy = agent.destroy.bind(agent) as (...args: unknown[]) => unknown;
  agent.destroy = ((...args: unknown[]) => {
    inflight.fail(new (loadUndici().errors.ClientDestroyedError)());
    return destroy(...args);
  }) as typeof agent.destroy;
  const close = agent.close.bind(agent) as (...args: unknown[]) => unknown;
  agent.close = ((...args: unknown[]) => {
    inflight.failUnwanted(new (loadUndici().errors.ClientClosedError)());
    return close(...args);
  }) as typeof agent.close;
}

/** The connect function undici's clients call for each new connection. */
function namespaceConnector(where: Where, options: DispatcherOptions, inflight: Inflight): Undici.buildConnector.connector {
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
      forget();
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
    const forget = inflight.connect(originKey(opts.protocol, opts.hostname, opts.port), (err) => finish(err));
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
  const inflight = new Inflight();
  const agent = new u.Agent({ ...agentOptions, connect: namespaceConnector(where, o, inflight) });
  trackRequests(agent, inflight);
  return agent;
}

/** An undici `Agent` for the calling thread's namespace, with `mark` and `device` on every connection. */
export function dispatcher(options?: DispatcherOptions): Undici.Agent {
  return dispatcherIn(null, options);
}
