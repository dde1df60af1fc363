/**
 * `ns.tlsConnect()`: `tls.connect` over a TCP (or unix) socket made inside a namespace. Every
 * `tls.connect` option applies (`servername`, `ca`, `ALPNProtocols`, `session`, ...); the
 * connect options (`host`, `port`, `localAddress`, `family`, `lookup`, `mark`, `device`, ...) make
 * the socket underneath, and `signal` destroys the TLS socket.
 */
import * as net from 'node:net';
import { addAbortSignal } from 'node:stream';
import * as tls from 'node:tls';

import { InvalidArgTypeError, InvalidArgValueError } from './errors';
import type { SocketSteering, Where } from './sockets/common';
import { connectIn, needsFallback } from './sockets/connect';
import { PendingConnection } from './sockets/pending';
import { pickConnectOptions } from './sockets/pick';
import { validateFunction, validateObject } from './validate';

/** The options of `ns.tlsConnect()`: those of `tls.connect()` (except `socket`) plus `mark` and `device`. */
export type TlsConnectOptions = Omit<tls.ConnectionOptions, 'socket'> &
  SocketSteering & {
    /** An `AbortSignal` that destroys the TLS socket (and the socket under it). */
    signal?: AbortSignal;
  };

/** The connect options that make the socket under TLS (`timeout` and `signal` go to the TLS socket). */
const TCP_KEYS = [
  'host', 'port', 'family', 'hints', 'lookup', 'localAddress', 'localPort', 'noDelay', 'keepAlive',
  'keepAliveInitialDelay', 'allowHalfOpen', 'mark', 'device',
] as const;

/**
 * The `tls.connect` options for a socket made here: SNI defaults to the host when it is a name,
 * as Node's https agent does.
 */
function tlsOptions(o: Record<string, unknown>, socket: net.Socket | PendingConnection): tls.ConnectionOptions {
  const { mark: _mark, device: _device, signal: _signal, path: _path, ...rest } = o;
  const options: tls.ConnectionOptions = { ...rest, socket: socket as net.Socket };
  const host = o.host;
  if (options.servername === undefined && typeof host === 'string' && net.isIP(host) === 0) options.servername = host;
  return options;
}

/**
 * Starts TLS over a socket made inside `where`. Bad options throw before any fd exists (the
 * socket's checks) or with the socket destroyed (`tls.connect`'s checks).
 * @internal
 */
export function tlsConnectIn(where: Where, options: unknown, secureConnectListener?: () => void): tls.TLSSocket {
  validateObject(options, 'options');
  const o = options as Record<string, unknown>;
  if (o.socket !== undefined) {
    throw new InvalidArgValueError('options.socket', o.socket, 'is made by ns.tlsConnect() inside the namespace: use tls.connect() to wrap a socket of your own');
  }
  if (secureConnectListener !== undefined) validateFunction(secureConnectListener, 'callback');
  const signal = o.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidArgTypeError('options.signal', 'an instance of AbortSignal', signal);
  const picked = pickConnectOptions(o, TCP_KEYS);
  // A hostname: every address in turn, each on a socket made inside (as tls.connect's
  // autoSelectFamily would, but never from the calling thread's namespace).
  const socket = needsFallback(picked) ? new PendingConnection(where, picked) : connectIn(where, picked, undefined, false);
  let secure: tls.TLSSocket;
  try {
    secure = tls.connect(tlsOptions(o, socket), secureConnectListener);
  } catch (e) {
    socket.destroy();
    throw e;
  }
  if (signal !== undefined) addAbortSignal(signal as AbortSignal, secure);
  return secure;
}

/** `tls.connect()` over a socket made in the calling thread's namespace, with `mark` and `device`. */
export function tlsConnect(options: TlsConnectOptions, secureConnectListener?: () => void): tls.TLSSocket {
  return tlsConnectIn(null, options, secureConnectListener);
}
