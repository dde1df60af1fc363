/** HTTP and HTTPS agents whose connections are made inside a namespace by `ns.connect()`. */
import * as http from 'node:http';
import * as https from 'node:https';
import * as net from 'node:net';
import type { Duplex } from 'node:stream';

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
type CreateCallback = (err: Error | null, stream: Duplex) => void;

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
  constructor(where: Where, options?: NetNSAgentOptions) {
    validateAgentOptions(options);
    super(options);
    this.#where = where;
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
export class NetNSHttpsAgent extends https.Agent {
  readonly #where: Where;
  constructor(where: Where, options?: NetNSHttpsAgentOptions) {
    validateAgentOptions(options);
    super(options);
    this.#where = where;
  }

  /** Connects from inside the agent's namespace, then lets `https.Agent` start TLS over that socket. */
  override createConnection(options: Record<string, unknown>, callback?: CreateCallback): net.Socket | undefined {
    return connectOrReport(() => {
      type Create = (options: Record<string, unknown>) => net.Socket;
      const overTls = (socket: net.Socket): net.Socket =>
        (https.Agent.prototype as unknown as { createConnection: Create }).createConnection.call(this, { ...options, socket });
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
