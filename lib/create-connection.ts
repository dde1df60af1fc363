/**
 * `ns.createConnection()`: `net.createConnection` for a namespace, for the libraries that take a
 * `createConnection` function (`http.request`, `ws`). It accepts `net.createConnection`'s argument
 * forms and, like it, ignores options it does not know (`protocol`, `allowSynchronousEvents`, ...).
 */
import type * as http from 'node:http';
import type * as net from 'node:net';

import type { SocketSteering, Where } from './sockets/common';
import { connectIn } from './sockets/connect';
import { pickConnectOptions } from './sockets/pick';
import { normalizeArgs } from './sockets/unconnected';
import { validateObject } from './validate';

/**
 * A `'connect'` listener; called without arguments. Typed loosely so that the function fits
 * where `http.request` expects a `createConnection(options, oncreate)`.
 */
export type ConnectListener = (...args: never[]) => unknown;

/**
 * Connects from inside `where` as `net.createConnection(...args)` would from the calling thread.
 * @internal
 */
export function createConnectionIn(where: Where, args: unknown[]): net.Socket {
  const [options, listener] = normalizeArgs(args);
  validateObject(options, 'options');
  return connectIn(where, pickConnectOptions(options as Record<string, unknown>), listener, false);
}

/**
 * `net.createConnection()` from the calling thread's namespace, with `mark` and `device`; unknown
 * options are ignored. A second `connect()` on the socket throws `NetNSReconnectError`.
 */
export function createConnection(options: (net.NetConnectOpts | http.ClientRequestArgs) & SocketSteering, connectListener?: ConnectListener): net.Socket;
/** `net.createConnection(port, host?, connectListener?)` from the calling thread's namespace. */
export function createConnection(port: number, host?: string, connectListener?: ConnectListener): net.Socket;
/** `net.createConnection(path, connectListener?)` (a unix socket) from the calling thread's namespace. */
export function createConnection(path: string, connectListener?: ConnectListener): net.Socket;
export function createConnection(...args: unknown[]): net.Socket {
  return createConnectionIn(null, args);
}
