/**
 * What every kind of socket shares: where it is made, the steering options (`mark`, `device`),
 * the one native call that makes an fd inside a namespace, and the checks of addresses and paths.
 * Each fd is made natively inside the namespace, in one call that switches the thread, creates
 * and sets up the socket and switches back, and is then handed to Node. A socket never changes
 * namespace.
 */
import * as net from 'node:net';

import { callNative, InvalidArgValueError } from '../errors';
import type { LookupSource } from '../lookup';
import { native } from '../native';
import { asNodeUnixPath } from '../unixname';
import { validateDeviceName, validateString, validateUint32 } from '../validate';

/**
 * The part of a namespace handle that socket code needs: its fd, read through the handle's gate
 * (a closed handle throws `NetNSClosedError`). `NetNS` is one; the modules that make sockets for a handle never import it.
 */
export interface NamespaceRef extends LookupSource {
  /** The open namespace fd; throws if the handle is closed. */
  readonly fd: number;
  /** A socket fd made in the namespace as `spec` says, from the handle's spares; the caller owns it. */
  _socketFd(spec: NativeSpec): number;
}

/** Where a socket is made: a namespace, or `null` for the calling thread's own. */
export type Where = NamespaceRef | null;

/** Options every socket of this module takes, set natively before it binds or connects. */
export interface SocketSteering {
  /** `SO_MARK`, an unsigned 32-bit integer, set before the first packet; needs `CAP_NET_ADMIN` (or `CAP_NET_RAW`). */
  mark?: number;
  /** `SO_BINDTODEVICE`: a device of the socket's namespace (`ENODEV` otherwise); needs no capability. */
  device?: string;
}

/** A hostname lookup, as `dns.lookup` and `net.connect`'s `lookup` option have it. */
export type LookupFunction = net.LookupFunction;

/** The spec the native layer takes for a new socket fd. */
export type NativeSpec = Parameters<typeof native.socketInNs>[1];

/** The namespace fd to create in (this checks that the handle is open), or null for here. */
export function nsFd(where: Where): number | null {
  return where === null ? null : where.fd;
}

/** Makes a socket fd in the namespace (from the handle's spares); the caller owns it. */
export function makeFd(where: Where, spec: NativeSpec): number {
  // Abstract unix names as the running Node spells them (Node 20 pads them): see unixname.ts.
  const unix = {
    ...(spec.path === undefined ? {} : { path: asNodeUnixPath(spec.path) }),
    ...(spec.connectPath === undefined ? {} : { connectPath: asNodeUnixPath(spec.connectPath) }),
  };
  const full = { ...spec, ...unix };
  return where === null ? callNative(() => native.socketInNs(null, full)) : where._socketFd(full);
}

/** Closes an fd the caller owns, ignoring errors (there is nothing more to release). */
export function closeQuietly(fd: number): void {
  try {
    native.closeFd(fd);
  } catch {
    // Nothing more to release.
  }
}

/** Checks `mark` and `device`, named `${name}.mark` and `${name}.device`. */
export function validateSteering(options: SocketSteering, name: string): void {
  if (options.mark !== undefined) validateUint32(options.mark, `${name}.mark`);
  if (options.device !== undefined) validateDeviceName(options.device, `${name}.device`);
}

/** Runs `check` on `value` unless it is undefined; returns it. */
export function validateOptional<T>(value: unknown, check: (v: unknown, n: string) => void, name: string): T | undefined {
  if (value !== undefined) check(value, name);
  return value as T | undefined;
}

/** The native family of an IP address. */
export function ipFamily(address: string): 'ipv4' | 'ipv6' {
  return net.isIPv6(address) ? 'ipv6' : 'ipv4';
}

/** Checks that `value` is an IP address string. */
export function validateIP(value: unknown, name: string): asserts value is string {
  validateString(value, name);
  if (net.isIP(value) === 0) throw new InvalidArgValueError(name, value, 'must be an IP address');
}

/** Checks a unix socket path: non-empty, NUL only as the first character (abstract). */
export function validateUnixPath(value: unknown, name: string): asserts value is string {
  validateString(value, name);
  if (value.length === 0) throw new InvalidArgValueError(name, value, 'must be a non-empty path');
  if (value.indexOf('\0', 1) !== -1) throw new InvalidArgValueError(name, value, 'must not contain null bytes after the first');
}

