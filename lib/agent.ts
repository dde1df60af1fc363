/**
 * HTTP and HTTPS agents whose connections are made inside a namespace by `ns.connect()`.
 *
 * `node:https` is loaded only when the first https agent is made: loading it creates
 * `https.globalAgent`, and with `NODE_EXTRA_CA_CERTS` set Node 24 then reads the CA file on a
 * background thread, which a program that never uses https should not pay for at start-up.
 */
import * as http from 'node:http';
import type * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';

import { validateNetNSOrNull } from './brand';
import type { NetNS } from './netns';
import type { SocketSteering, Where } from './sockets/common';
import { connectIn } from './sockets/connect';
import { connectAnyIn } from './sockets/fallback';
import { AGENT_CONNECT_KEYS, pickConnectOptions } from './sockets/pick';
import { validateDeviceName, validateObject, validateUint32 } from './validate';

/** Options of `ns.agent()`: those of `http.Agent` plus `mark` and `device` for every connection. */
export type NetNSAgentOptions = http.AgentOptions & SocketSteering;
/** Options of `ns.httpsAgent()`: those of `https.Agent` plus `mark` and `device` for every connection. */
export type NetNSHttpsAgentOptions = https.AgentOptions & SocketSteering;

/** The request options an agent hands to `createConnection`, as far as a TCP or unix connect needs them. */
function connectOptions(options: Record<string, unknown>): Record<string, unknown> {
  return pickConnectOptions(options, AGENT_CONNECT_KEYS);
}

function validateAgentOptions(options: unknown): void {
  if (options === undefined) return;
  validateObject(options, 'options');
  const o = options as SocketSteering;
  if (o.mark !== undefined) validateUint32(o.mark, 'options.mark');
  if (o.device !== undefined) validateDeviceName(o.device, 'options.device');
}

/** The callback Node's agents pass to `createConnection` (`oncreate`). */
export type CreateCallback = (err: Error | null, stream: Duplex) => void;

/**
 * Runs `connect`; if it throws and the agent gave a callback, the error goes there (so it becomes
 * the request's `'error'` event instead of a throw from `http.get` or from an agent's 'close'
 * handler) and no socket is returned. Without a callback, it throws.
 */
function connectOrReport(connect: () => net.Socket | undefined, callback?: CreateCallback): net.Socket | undefined {
  try {
    return connect();
  } catch (e) {
    if (typeof callback !== 'function') throw e;
    callback(e as Error, undefined as unknown as Duplex);
    return undefined;
  }
}

/**
 * Checks the namespace and options of a new agent: a `NetNS` (open) or `null`, anything else
 * `ERR_INVALID_ARG_TYPE`, so that a path or a look-alike never means "the calling thread's".
 */
function validateAgent(where: unknown, options: unknown): void {
  validateNetNSOrNull(where, 'where');
  if (where !== null) void where.fd; // The gate: a closed handle is ERR_NETNS_CLOSED.
  validateAgentOptions(options);
}

/** `node:https`, loaded at the first call. */
function httpsModule(): typeof https {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require('node:https') as typeof https;
}

let httpsLinked = false;

/**
 * Makes `NetNSHttpsAgent` a subclass of the real `https.Agent`, once, before its first instance
 * is built. Until then it stands on `http.Agent` (the base of `https.Agent`); `super()` and the
 * prototype chain are looked up when used, so every instance is a full `https.Agent`.
 */
function linkHttpsAgent(): void {
  if (httpsLinked) return;
  const { Agent } = httpsModule();
  Object.setPrototypeOf(NetNSHttpsAgent, Agent);
  Object.setPrototypeOf(NetNSHttpsAgent.prototype, Agent.prototype);
  httpsLinked = true;
}

/** Whether the request goes to a hostname (a lookup, which may answer several addresses). */
function needsLookup(options: Record<string, unknown>): boolean {
  const host = options.host;
  return typeof host === 'string' && net.isIP(host) === 0 && options.socketPath == null && typeof options.path !== 'string';
}

/**
 * Connects for an agent: to a hostname, with every address of the answer in turn, and the
 * socket handed to `callback` once connected; to an IP or a unix path, the socket is returned.
 */
function connectFor(where: Where, options: Record<string, unknown>, callback?: CreateCallback): net.Socket | undefined {
  if (typeof callback !== 'function' || !needsLookup(options)) return connectIn(where, options, undefined, false);
  connectAnyIn(where, options, (err, socket) => callback(err, socket as Duplex));
  return undefined;
}

/** An `http.Agent` whose connections are made inside a namespace (`null`: the calling thread's). */
export class NetNSAgent extends http.Agent {
  readonly #where: Where;
  constructor(where: NetNS | null, options?: NetNSAgentOptions) {
    validateAgent(where, options);
    super(options);
    this.#where = where as Where;
  }

  /**
   * Connects from inside the agent's namespace with `ns.connect()`. A failure to make the socket
   * (a closed handle, `ENODEV`) goes to the request as its `'error'`, as Node's own agent does.
   */
  override createConnection(options: Record<string, unknown>, callback?: CreateCallback): net.Socket | undefined {
    return connectOrReport(() => connectFor(this.#where, connectOptions(options), callback), callback);
  }
}

/** An `https.Agent` whose TLS connections run over sockets made inside a namespace. */
export class NetNSHttpsAgent extends (http.Agent as unknown as typeof https.Agent) {
  readonly #where: Where;
  constructor(where: NetNS | null, options?: NetNSHttpsAgentOptions) {
    validateAgent(where, options);
    linkHttpsAgent();
    super(options);
    this.#where = where as Where;
  }

  /** Connects from inside the agent's namespace, then lets `https.Agent` start TLS over that socket. */
  override createConnection(options: Record<string, unknown>, callback?: CreateCallback): net.Socket | undefined {
    return connectOrReport(() => {
      type Create = (options: Record<string, unknown>) => net.Socket;
      const overTls = (socket: net.Socket): net.Socket =>
        (httpsModule().Agent.prototype as unknown as { createConnection: Create }).createConnection.call(this, { ...options, socket });
      if (typeof callback !== 'function' || !needsLookup(options)) {
        return overTls(connectIn(this.#where, connectOptions(options), undefined, false));
      }
      connectAnyIn(this.#where, connectOptions(options), (err, socket) => {
        if (err || !socket) return callback(err, undefined as unknown as Duplex);
        let tlsSocket: net.Socket;
        try {
          tlsSocket = overTls(socket);
        } catch (e) {
          socket.destroy();
          return callback(e as Error, undefined as unknown as Duplex);
        }
        return callback(null, tlsSocket);
      });
      return undefined;
    }, callback);
  }
}

/** An `http.Agent` for the calling thread's namespace, with `mark` and `device` on every connection. */
export function agent(options?: NetNSAgentOptions): NetNSAgent {
  return new NetNSAgent(null, options);
}

/** An `https.Agent` for the calling thread's namespace, with `mark` and `device` on every connection. */
export function httpsAgent(options?: NetNSHttpsAgentOptions): NetNSHttpsAgent {
  return new NetNSHttpsAgent(null, options);
}
