/**
 * `ns.http2Connect()`: `http2.connect` whose session socket is made inside a namespace, through
 * `createConnection`: plain TCP for `http://` (h2c), TLS with ALPN `h2` for `https://`.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import * as tls from 'node:tls';

import { InvalidArgTypeError, InvalidArgValueError } from './errors';
import { validateSteering, type SocketSteering, type Where } from './sockets/common';
import { connectIn, needsFallback } from './sockets/connect';
import { PendingConnection } from './sockets/pending';
import { pickConnectOptions } from './sockets/pick';
import { validateFunction, validateObject } from './validate';

/** The options of `ns.http2Connect()`: those of `http2.connect()` (except `createConnection`) plus `mark` and `device`. */
export type Http2ConnectOptions = Omit<http2.SecureClientSessionOptions, 'createConnection'> & SocketSteering;

/** The connect options that make the session socket. */
const TCP_KEYS = ['family', 'hints', 'lookup', 'localAddress', 'localPort', 'mark', 'device'] as const;

/** The URL of an authority: a string or a `URL`, `http:` or `https:`. */
function parseAuthority(authority: unknown): URL {
  if (typeof authority !== 'string' && !(authority instanceof URL)) {
    throw new InvalidArgTypeError('authority', 'of type string or an instance of URL', authority);
  }
  const url = new URL(authority);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new InvalidArgValueError('authority', String(authority), "must be an http: or https: URL");
  }
  return url;
}

/**
 * Opens an HTTP/2 session whose socket is made inside `where`. A closed handle or bad input
 * throws before any socket exists; a failed connect is the session's `'error'`.
 * @internal
 */
export function http2ConnectIn(
  where: Where,
  authority: unknown,
  options?: unknown,
  listener?: (session: http2.ClientHttp2Session, socket: net.Socket | tls.TLSSocket) => void,
): http2.ClientHttp2Session {
  const url = parseAuthority(authority);
  if (typeof options === 'function' && listener === undefined) {
    listener = options as unknown as typeof listener;
    options = undefined;
  }
  if (options === undefined) options = {};
  validateObject(options, 'options');
  if (listener !== undefined) validateFunction(listener, 'listener');
  const o = options as Record<string, unknown>;
  if (o.createConnection !== undefined) {
    throw new InvalidArgValueError('options.createConnection', o.createConnection, 'is made by ns.http2Connect() inside the namespace');
  }
  validateSteering(o, 'options');
  void where?.fd; // The gate: a closed handle throws before anything else.
  const secure = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (secure ? 443 : 80) : Number(url.port);
  const { mark: _mark, device: _device, ...sessionOptions } = o;
  const createConnection = (): net.Socket => {
    const picked = { ...pickConnectOptions(o, TCP_KEYS), host, port };
    // A hostname: every address in turn, each on a socket made inside (see tls.ts).
    const socket = needsFallback(picked) ? (new PendingConnection(where, picked) as unknown as net.Socket) : connectIn(where, picked, undefined, false);
    if (!secure) return socket;
    try {
      return tls.connect({
        ...(sessionOptions as tls.ConnectionOptions),
        ALPNProtocols: ['h2'],
        servername: (o.servername as string | undefined) ?? (net.isIP(host) === 0 ? host : undefined),
        host,
        port,
        socket,
      });
    } catch (e) {
      socket.destroy();
      throw e;
    }
  };
  return http2.connect(url, { ...sessionOptions, createConnection }, listener);
}

/** `http2.connect()` with the session socket made in the calling thread's namespace, with `mark` and `device`. */
export function http2Connect(
  authority: string | URL,
  options?: Http2ConnectOptions,
  listener?: (session: http2.ClientHttp2Session, socket: net.Socket | tls.TLSSocket) => void,
): http2.ClientHttp2Session {
  return http2ConnectIn(null, authority, options, listener);
}
