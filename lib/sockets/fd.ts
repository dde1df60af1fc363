/** Raw socket fds made inside a namespace, without Node's wrapping: `createSocketFd()`. */
import { validateNetNSOrNull } from '../brand';
import { InvalidArgValueError } from '../errors';
import type { NetNS } from '../netns';
import { validateBoolean, validateInteger, validateKnownOptions, validateObject, validatePort } from '../validate';
import {
  ipFamily,
  makeFd,
  validateIP,
  validateOptional,
  validateSteering,
  validateUnixPath,
  type SocketSteering,
} from './common';

/** The spec of a raw socket fd made by `createSocketFd()`. */
export interface SocketFdSpec extends SocketSteering {
  /** `'ipv4'`, `'ipv6'` or `'unix'`. */
  family: 'ipv4' | 'ipv6' | 'unix';
  /** `'stream'` or `'dgram'`. */
  kind: 'stream' | 'dgram';
  /** `SO_REUSEADDR`. */
  reuseAddr?: boolean;
  /** `SO_REUSEPORT`. */
  reusePort?: boolean;
  /** `IPV6_V6ONLY` (ipv6 only). */
  v6Only?: boolean;
  /** An IP address to bind to (with `port`). */
  address?: string;
  /** A port to bind to (with `address`; 0: any). */
  port?: number;
  /** A unix path to bind to (leading `'\0'`: abstract). */
  path?: string;
  /** Listen with this backlog after binding. */
  backlog?: number;
  /** A unix path to connect to, at once. */
  connectPath?: string;
}

const SPEC_OPTIONS: ReadonlySet<string> = new Set([
  'family', 'kind', 'mark', 'device', 'reuseAddr', 'reusePort', 'v6Only', 'address', 'port', 'path', 'backlog',
  'connectPath',
]);

/**
 * Creates a socket fd inside `ns` (`null`: the calling thread's namespace; anything else that
 * is not a `NetNS` is `ERR_INVALID_ARG_TYPE`) as `spec` says and returns it; the caller owns it (close it, or hand it to Node). This is the fd path that
 * `ns.connect()`, `ns.listen()` and `ns.createSocket()` use, without the Node wrapping.
 */
export function createSocketFd(ns: NetNS | null, spec: SocketFdSpec): number {
  validateNetNSOrNull(ns, 'ns');
  validateObject(spec, 'spec');
  validateKnownOptions(spec, SPEC_OPTIONS, 'spec', 'createSocketFd()');
  if (spec.family !== 'ipv4' && spec.family !== 'ipv6' && spec.family !== 'unix') {
    throw new InvalidArgValueError('spec.family', spec.family, "must be 'ipv4', 'ipv6' or 'unix'");
  }
  if (spec.kind !== 'stream' && spec.kind !== 'dgram') {
    throw new InvalidArgValueError('spec.kind', spec.kind, "must be 'stream' or 'dgram'");
  }
  validateSteering(spec, 'spec');
  validateOptional(spec.reuseAddr, validateBoolean, 'spec.reuseAddr');
  validateOptional(spec.reusePort, validateBoolean, 'spec.reusePort');
  validateOptional(spec.v6Only, validateBoolean, 'spec.v6Only');
  validateOptional(spec.address, validateIP, 'spec.address');
  if (spec.port !== undefined) validatePort(spec.port, 'spec.port');
  validateOptional(spec.path, validateUnixPath, 'spec.path');
  validateOptional(spec.connectPath, validateUnixPath, 'spec.connectPath');
  validateOptional(spec.backlog, (v, n) => validateInteger(v, n, 0, 0x7fff_ffff), 'spec.backlog');
  if (spec.path !== undefined && (spec.address !== undefined || spec.port !== undefined)) {
    throw new InvalidArgValueError('spec.path', spec.path, 'cannot be combined with address or port');
  }
  // Options that only make sense for one family or kind: refused here, not left to the kernel.
  const unix = spec.family === 'unix';
  for (const key of ['path', 'connectPath'] as const) {
    if (spec[key] !== undefined && !unix) throw new InvalidArgValueError(`spec.${key}`, spec[key], "needs family 'unix'");
  }
  for (const key of ['address', 'port'] as const) {
    if (spec[key] !== undefined && unix) throw new InvalidArgValueError(`spec.${key}`, spec[key], "needs family 'ipv4' or 'ipv6'");
  }
  if (spec.address !== undefined && ipFamily(spec.address) !== spec.family) {
    throw new InvalidArgValueError('spec.address', spec.address, `is not an ${spec.family === 'ipv6' ? 'IPv6' : 'IPv4'} address`);
  }
  if (spec.v6Only !== undefined && spec.family !== 'ipv6') throw new InvalidArgValueError('spec.v6Only', spec.v6Only, "needs family 'ipv6'");
  if (spec.backlog !== undefined && spec.kind !== 'stream') throw new InvalidArgValueError('spec.backlog', spec.backlog, "needs kind 'stream'");
  return makeFd(ns, { ...spec });
}

