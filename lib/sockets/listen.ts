/** Servers that listen on a socket made inside a namespace: `ns.listen()` and `listen()`. */
import cluster from 'node:cluster';
import { rmSync } from 'node:fs';
import * as net from 'node:net';

import { defaultLookup } from '../lookup';
import { InvalidArgTypeError, InvalidArgValueError, NetNSError, NetNSSystemError } from '../errors';
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
  nsFd,
  validateOptional,
  validateSteering,
  validateUnixPath,
  type NativeSpec,
  type SocketSteering,
  type Where,
} from './common';

/** The options of `ns.listen()`. */
export interface ListenOptions extends SocketSteering {
  /** The port, default 0 (the kernel picks one: read it from `server.address().port`). */
  port?: number | string;
  /**
   * An IP address or a hostname (resolved inside the namespace by `ns.lookup`). Default: `::`
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

const LISTEN_OPTIONS: ReadonlySet<string> = new Set([
  'port', 'host', 'backlog', 'ipv6Only', 'reusePort', 'path', 'mark', 'device',
]);
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
  // A hostname: resolved in `where` (ns.lookup), or in the calling thread's namespace for
  // `listen()`; the socket is made when the answer comes, and a failure is the server's 'error' event.
  nsFd(where);
  defaultLookup(where)(o.host, {}, (err, found) => {
    const address = found as string;
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

/** Makes `server` listen in the calling thread's namespace, with `mark`, `device`, `reusePort`. */
export function listen<S extends net.Server>(server: S, options?: ListenOptions, listeningListener?: () => void): S {
  return listenIn(null, server, options, listeningListener);
}

