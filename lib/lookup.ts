/**
 * `dns.lookup` inside a namespace: the same signature, validation and results, answered by
 * `getaddrinfo` on a native resolver thread that is inside the namespace and sees the files of
 * its etc directory (`/etc/netns/<name>`) over `/etc`'s, as `ip netns exec` arranges. No Node or
 * libuv-pool thread changes namespace, and the rest of the process keeps its `/etc`.
 */
import * as dns from 'node:dns';
import * as net from 'node:net';
import { domainToASCII } from 'node:url';
import { getSystemErrorMap } from 'node:util';

import { callNative, InvalidArgTypeError, InvalidArgValueError, NetNSClosedError, NetNSSystemError } from './errors';
import type { LookupAnswer } from '../binding';
import { native } from './native';
import { validateBoolean, validateFunction } from './validate';

/** Where a lookup runs: a namespace fd and the directory whose files replace `/etc`'s. */
export interface LookupPlace {
  /** The namespace file descriptor (duplicated for the resolver thread before the call returns). */
  fd: number;
  /** The etc directory of the namespace, or `undefined` for the host's `/etc`. */
  etcDir: string | undefined;
}

/** The result orders of `dns.lookup`. */
export type LookupOrder = 'verbatim' | 'ipv4first' | 'ipv6first';

/** The options of `ns.lookup()`: those of `dns.lookup()`. */
export interface NetNSLookupOptions {
  /** 0, 4, 6, `'IPv4'` or `'IPv6'`. */
  family?: number | 'IPv4' | 'IPv6';
  /** `dns.ADDRCONFIG`, `dns.V4MAPPED`, `dns.ALL`, or'ed. */
  hints?: number;
  /** Every address, as `[{ address, family }]`. */
  all?: boolean;
  /** The order of the addresses (default `dns.getDefaultResultOrder()`). */
  order?: LookupOrder;
  /** `true`: `'verbatim'`, `false`: `'ipv4first'`; `order` wins. */
  verbatim?: boolean;
}

/** One address, as `dns.lookup` gives it with `all: true`. */
export interface LookupAddress {
  /** The address. */
  address: string;
  /** 4 or 6. */
  family: number;
}

/** What the arguments of a lookup ask for, once checked. */
interface Query {
  hostname: string;
  family: number;
  hints: number;
  all: boolean;
  order: LookupOrder;
}

const VALID_FAMILIES = [0, 4, 6];
const VALID_ORDERS: LookupOrder[] = ['verbatim', 'ipv4first', 'ipv6first'];
const VALID_HINTS = dns.ADDRCONFIG | dns.V4MAPPED | dns.ALL;

function defaultOrder(): LookupOrder {
  const get = (dns as { getDefaultResultOrder?: () => string }).getDefaultResultOrder;
  const order = get?.();
  return VALID_ORDERS.includes(order as LookupOrder) ? (order as LookupOrder) : 'verbatim';
}

function validateOneOf(value: unknown, name: string, allowed: readonly unknown[]): void {
  if (!allowed.includes(value)) {
    throw new InvalidArgValueError(name, value, `must be one of: ${allowed.map((a) => JSON.stringify(a)).join(', ')}`);
  }
}

/** Checks `options` as `dns.lookup` does (a family number, an object or undefined). */
function parseOptions(options: unknown): Omit<Query, 'hostname'> {
  const q = { family: 0, hints: 0, all: false, order: defaultOrder() };
  if (typeof options === 'number') {
    validateOneOf(options, 'family', VALID_FAMILIES);
    q.family = options;
    return q;
  }
  if (options === undefined || options === null) return q;
  if (typeof options !== 'object') throw new InvalidArgTypeError('options', 'one of type integer or object', options);
  const o = options as NetNSLookupOptions;
  if (o.hints != null) {
    if (typeof o.hints !== 'number') throw new InvalidArgTypeError('options.hints', 'of type number', o.hints);
    q.hints = o.hints >>> 0;
    if ((q.hints & ~VALID_HINTS) !== 0) throw new InvalidArgValueError('hints', q.hints, 'is invalid');
  }
  if (o.family != null) {
    if (o.family === 'IPv4') q.family = 4;
    else if (o.family === 'IPv6') q.family = 6;
    else {
      validateOneOf(o.family, 'options.family', VALID_FAMILIES);
      q.family = o.family;
    }
  }
  if (o.all != null) {
    validateBoolean(o.all, 'options.all');
    q.all = o.all;
  }
  if (o.verbatim != null) {
    validateBoolean(o.verbatim, 'options.verbatim');
    q.order = o.verbatim ? 'verbatim' : 'ipv4first';
  }
  if (o.order != null) {
    validateOneOf(o.order, 'options.order', VALID_ORDERS);
    q.order = o.order;
  }
  return q;
}

/** Whether this Node's `dns.lookup` refuses a hostname with a NUL byte (Node 24) or reads it up to the NUL (Node 20, 22). */
const REFUSES_NUL = (() => {
  try {
    // An invalid family stops the call before any lookup; which check fails first tells.
    dns.lookup('\0', { family: 5 as 4 }, () => {});
  } catch (e) {
    return /hostname/.test((e as Error).message);
  }
  return false;
})();

function validateHostname(hostname: unknown): string {
  if (hostname && typeof hostname !== 'string') throw new InvalidArgTypeError('hostname', 'of type string', hostname);
  if (REFUSES_NUL && typeof hostname === 'string' && hostname.includes('\0')) {
    throw new InvalidArgValueError('hostname', hostname, 'must be a string without null bytes');
  }
  return (hostname || '') as string;
}

/** The longest name libuv passes to getaddrinfo (its buffer is 256 bytes with the NUL); longer is `EINVAL`. */
const MAX_NAME = 255;

let warnedEmptyHostname = false;

/** `dns.lookup`'s warning for an empty hostname (DEP0118), once per process as Node gives it. */
function warnEmptyHostname(hostname: unknown): void {
  if (warnedEmptyHostname) return;
  warnedEmptyHostname = true;
  process.emitWarning(
    `The provided hostname "${String(hostname)}" is not a valid hostname, and is supported in the dns module solely for compatibility.`,
    'DeprecationWarning',
    'DEP0118',
  );
}

/** libuv's (negative) error number of an error name, as Node's DNS errors carry it. */
function uvErrno(name: string): number | undefined {
  for (const [errno, [n]] of getSystemErrorMap()) if (n === name) return errno;
  return undefined;
}

/** The error `dns.lookup` gives for a failed `getaddrinfo`: `code`, `errno`, `syscall`, `hostname`. */
function lookupError(code: string, hostname: string): NodeJS.ErrnoException {
  const shown = code === 'EAI_NONAME' || code === 'EAI_NODATA' ? 'ENOTFOUND' : code;
  const err = new Error(`getaddrinfo ${shown} ${hostname}`) as NodeJS.ErrnoException & { hostname: string };
  err.errno = uvErrno(code);
  err.code = shown;
  err.syscall = 'getaddrinfo';
  err.hostname = hostname;
  return err;
}

function ordered(addresses: LookupAddress[], order: LookupOrder): LookupAddress[] {
  if (order === 'verbatim') return addresses;
  const first = order === 'ipv4first' ? 4 : 6;
  return [...addresses.filter((a) => a.family === first), ...addresses.filter((a) => a.family !== first)];
}

/** What the native lookup answered, as addresses or the error `dns.lookup` gives. */
function settle(answer: LookupAnswer, q: Query): LookupAddress[] {
  if (answer.code === undefined || answer.code === null) return ordered(answer.addresses, q.order);
  if (answer.syscall) {
    throw new NetNSSystemError({
      code: answer.code,
      message: answer.message ?? answer.code,
      errno: answer.errno ?? 0,
      syscall: answer.syscall,
      capability: answer.capability ?? undefined,
    });
  }
  throw lookupError(answer.code, q.hostname);
}

/** Resolves a checked query natively; IP literals are answered as Node does. */
function resolve(place: LookupPlace, q: Query): Promise<LookupAddress[]> {
  const literal = net.isIP(q.hostname);
  if (literal) return Promise.resolve([{ address: q.hostname, family: literal }]);
  // Node hands getaddrinfo a C string: it ends at the first NUL.
  const name = q.hostname.split('\0', 1)[0];
  // eslint-disable-next-line no-control-regex
  const ascii = /^[\x00-\x7f]*$/.test(name) ? name : domainToASCII(name) || name;
  if (Buffer.byteLength(ascii) > MAX_NAME) return Promise.reject(lookupError('EINVAL', q.hostname));
  let pending: Promise<LookupAnswer>;
  try {
    pending = callNative(() => native.lookupInNs(place.fd, place.etcDir, ascii, q.family, q.hints));
  } catch (e) {
    // No resolver thread could take it (e.g. EMFILE): the error dns.lookup gives for the same.
    return Promise.reject(e instanceof NetNSSystemError ? lookupError(e.code, q.hostname) : e);
  }
  return pending.then((answer) => settle(answer, q));
}

/** The callback of `dns.lookup`: `(err, address, family)`, or `(err, addresses)` with `all`. */
export type LookupCallback = (err: NodeJS.ErrnoException | null, address?: string | LookupAddress[] | null, family?: number) => void;

/**
 * `dns.lookup(hostname, options?, callback)` at `place`, with Node's argument checks and results.
 * @internal
 */
export function lookupAt(place: () => LookupPlace, hostname: unknown, options: unknown, callback?: unknown): object {
  const host = validateHostname(hostname);
  if (typeof options === 'function') {
    callback = options;
    options = undefined;
  } else if (options !== undefined && options !== null && typeof options !== 'object' && typeof options !== 'number') {
    validateFunction(callback === undefined ? options : callback, 'callback');
  }
  validateFunction(callback, 'callback');
  const q: Query = { hostname: host, ...parseOptions(options) };
  const cb = callback as LookupCallback;
  if (!host) {
    warnEmptyHostname(hostname);
    if (q.all) process.nextTick(cb, null, []);
    else process.nextTick(cb, null, null, q.family === 6 ? 6 : 4);
    return {};
  }
  resolve(place(), q).then(
    (found) => {
      if (q.all) cb(null, found);
      else if (found.length === 0) cb(lookupError('EAI_NODATA', host));
      else cb(null, found[0].address, found[0].family);
    },
    (e: NodeJS.ErrnoException) => cb(e),
  );
  return {};
}

/**
 * `dns.promises.lookup(hostname, options?)` at `place`.
 * @internal
 */
export function lookupPromiseAt(place: () => LookupPlace, hostname: unknown, options?: unknown): Promise<LookupAddress | LookupAddress[]> {
  const host = validateHostname(hostname);
  const q: Query = { hostname: host, ...parseOptions(options) };
  if (!host) {
    warnEmptyHostname(hostname);
    return Promise.resolve(q.all ? [] : { address: null as unknown as string, family: q.family === 6 ? 6 : 4 });
  }
  return resolve(place(), q).then((found) => {
    if (q.all) return found;
    if (found.length === 0) throw lookupError('EAI_NODATA', host);
    return found[0];
  });
}

/** What resolves names inside a namespace: a `NetNS` (its `lookup`). */
export interface LookupSource {
  /** `dns.lookup`'s form, resolved inside the namespace. */
  lookup(hostname: string, options: NetNSLookupOptions, callback: LookupCallback): void;
}

/**
 * The lookup a socket made in `where` uses for a hostname unless given one: the namespace's own
 * (`ns.lookup`), or Node's `dns.lookup` for the calling thread's namespace (`null`). A lookup
 * on a handle closed meanwhile reports `ERR_NETNS_CLOSED` through the callback, so that it
 * becomes the socket's `'error'` event; bad arguments throw, as `dns.lookup` throws them.
 * @internal
 */
export function defaultLookup(where: LookupSource | null): net.LookupFunction {
  if (where === null) return dns.lookup as net.LookupFunction;
  return (hostname, options, callback) => {
    try {
      where.lookup(hostname, options as NetNSLookupOptions, callback as LookupCallback);
    } catch (e) {
      // Bad arguments throw, as dns.lookup throws them; a handle closed meanwhile is an 'error'.
      if (!(e instanceof NetNSClosedError)) throw e;
      process.nextTick(callback, e as unknown as NodeJS.ErrnoException);
    }
  };
}
