/** UDP sockets made and bound inside a namespace: `ns.createSocket()` and `createSocket()`. */
import * as dgram from 'node:dgram';

import { InvalidArgValueError } from '../errors';
import { defaultLookup } from '../lookup';
import { dgramHandle } from '../mark';
import { validateBoolean, validateFunction, validateInteger, validateKnownOptions, validateObject, validatePort } from '../validate';
import {
  closeQuietly,
  ipFamily,
  makeFd,
  validateIP,
  validateOptional,
  validateSteering,
  type NativeSpec,
  type SocketSteering,
  type Where,
} from './common';

/** The options of `ns.createSocket()`: a UDP socket, bound before it is returned. */
export interface CreateSocketOptions extends SocketSteering {
  /** `'udp4'` or `'udp6'`. */
  type: 'udp4' | 'udp6';
  /** The IP address to bind to, default `0.0.0.0` or `::`. */
  address?: string;
  /** The port to bind to, default 0 (the kernel picks one). */
  port?: number | string;
  /** `SO_REUSEADDR`. */
  reuseAddr?: boolean;
  /** `SO_REUSEPORT`. */
  reusePort?: boolean;
  /** For `udp6`: IPv6 only (`IPV6_V6ONLY`). */
  ipv6Only?: boolean;
  /** As in `dgram.createSocket()`. */
  recvBufferSize?: number;
  /** As in `dgram.createSocket()`. */
  sendBufferSize?: number;
  /** As in `dgram.createSocket()`, for the hostnames given to `send()`. */
  lookup?: dgram.SocketOptions['lookup'];
  /** As in `dgram.createSocket()`. */
  signal?: AbortSignal;
}

const UDP_OPTIONS: ReadonlySet<string> = new Set([
  'type', 'address', 'port', 'reuseAddr', 'reusePort', 'ipv6Only', 'recvBufferSize', 'sendBufferSize', 'lookup',
  'signal', 'mark', 'device',
]);
/**
 * Makes a UDP socket inside `where` (`null`: the calling thread's namespace), bound before it
 * is returned, so `'listening'` has already been emitted and `address()` works at once.
 * @internal
 */
export function createSocketIn(where: Where, options: unknown, messageListener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void): dgram.Socket {
  if (typeof options === 'string') options = { type: options };
  validateObject(options, 'options');
  validateKnownOptions(options, UDP_OPTIONS, 'options', 'ns.createSocket()');
  const o = options as unknown as CreateSocketOptions;
  if (o.type !== 'udp4' && o.type !== 'udp6') {
    throw new InvalidArgValueError('options.type', o.type, "must be 'udp4' or 'udp6'");
  }
  validateSteering(o, 'options');
  const family = o.type === 'udp6' ? 'ipv6' : 'ipv4';
  const address = o.address ?? (family === 'ipv6' ? '::' : '0.0.0.0');
  validateIP(address, 'options.address');
  if (ipFamily(address) !== family) {
    throw new InvalidArgValueError('options.address', address, `must be an ${family === 'ipv6' ? 'IPv6' : 'IPv4'} address for ${o.type}`);
  }
  const port = validatePort(o.port ?? 0, 'options.port');
  validateOptional(o.reuseAddr, validateBoolean, 'options.reuseAddr');
  validateOptional(o.reusePort, validateBoolean, 'options.reusePort');
  validateOptional(o.ipv6Only, validateBoolean, 'options.ipv6Only');
  if (messageListener !== undefined) validateFunction(messageListener, 'callback');

  const dgramOptions: dgram.SocketOptions = { type: o.type };
  const bufferSize = (v: unknown, n: string) => validateInteger(v, n, 1, 0x7fff_ffff);
  validateOptional(o.recvBufferSize, bufferSize, 'options.recvBufferSize');
  validateOptional(o.sendBufferSize, bufferSize, 'options.sendBufferSize');
  if (o.recvBufferSize !== undefined) dgramOptions.recvBufferSize = o.recvBufferSize;
  if (o.sendBufferSize !== undefined) dgramOptions.sendBufferSize = o.sendBufferSize;
  // Hostnames given to send() resolve in `where` unless a lookup is given.
  if (o.lookup !== undefined || where !== null) dgramOptions.lookup = o.lookup ?? (defaultLookup(where) as dgram.SocketOptions['lookup']);
  if (o.signal !== undefined) dgramOptions.signal = o.signal;
  // Node checks the other options here, before any fd exists.
  const socket = dgram.createSocket(dgramOptions, messageListener);

  const spec: NativeSpec = { family, kind: 'dgram', address, port, mark: o.mark, device: o.device };
  if (o.reuseAddr) spec.reuseAddr = true;
  if (o.reusePort) spec.reusePort = true;
  if (family === 'ipv6' && o.ipv6Only !== undefined) spec.v6Only = o.ipv6Only;
  let fd: number;
  try {
    fd = makeFd(where, spec);
  } catch (e) {
    socket.close();
    throw e;
  }
  try {
    socket.bind({ fd });
  } catch (e) {
    // Once the socket's handle has opened the fd it owns it, and close() closes it: closing it
    // here as well could close an fd number another thread has been given meanwhile.
    if (dgramHandle(socket)?.fd !== fd) closeQuietly(fd);
    socket.close();
    throw e;
  }
  return socket;
}

/** A UDP socket in the calling thread's namespace, with `mark` and `device`, bound when returned. */
export function createSocket(
  options: CreateSocketOptions | 'udp4' | 'udp6',
  messageListener?: (msg: Buffer, rinfo: dgram.RemoteInfo) => void,
): dgram.Socket {
  return createSocketIn(null, options, messageListener);
}
