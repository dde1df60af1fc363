/**
 * Routes of a namespace, over rtnetlink: `ip route add|replace|del|show` without the binary,
 * IPv4 and IPv6, in any table. Refusals are `NetNSSystemError`s whose `syscall` is the request
 * (`RTM_NEWROUTE`, `RTM_DELROUTE`), whose `target` is the destination (`'default'`,
 * `'10.9.0.0/16'`) and whose `detail` is the kernel's explanation when it gave one.
 */
import { callNative, InvalidArgValueError } from '../errors';
import { native } from '../native';
import {
  validateDeviceName,
  validateFamily,
  validateInteger,
  validateIPAddress,
  validateKnownOptions,
  validateObject,
  validateUint32,
} from '../validate';
import { scopeName, SCOPES } from './addresses';
import { parseNetwork } from './cidr';

/** Route types, by the kernel's number (`RTN_*`), as `ip` names them. */
const TYPES: Record<string, number> = {
  unicast: 1,
  local: 2,
  broadcast: 3,
  anycast: 4,
  multicast: 5,
  blackhole: 6,
  unreachable: 7,
  prohibit: 8,
  throw: 9,
};

/** The named routing tables (`/etc/iproute2/rt_tables`). */
const TABLES: Record<string, number> = { default: 253, main: 254, local: 255 };

/**
 * A route type: `'unicast'` (the default: via a gateway or straight out of a device),
 * `'blackhole'` (dropped silently), `'unreachable'` (`EHOSTUNREACH`), `'prohibit'` (`EACCES`),
 * `'throw'` (the lookup goes on with the next rule), `'local'`, `'broadcast'`, `'anycast'`,
 * `'multicast'`; or the kernel's number.
 */
export type RouteType = 'unicast' | 'local' | 'broadcast' | 'anycast' | 'multicast' | 'blackhole' | 'unreachable' | 'prohibit' | 'throw';

/** A scope, as `ip` names it, or the kernel's number. */
export type RouteScope = 'global' | 'site' | 'link' | 'host' | 'nowhere';

/** A routing table: its number (1 to 4294967295) or `'main'` (254), `'local'` (255), `'default'` (253). */
export type RouteTable = number | 'main' | 'local' | 'default';

/** A route, as `addRoute`, `replaceRoute` and `deleteRoute` take it (`ip route add TO via VIA dev DEV ...`). */
export interface Route {
  /** `'default'` or the destination network, `'10.9.0.0/16'`, `'fd00:9::/32'` (an address alone is one host). */
  to: string;
  /** The gateway, of the destination's family. */
  via?: string;
  /** The output device. */
  dev?: string;
  /** The preferred source address for connections that follow the route. */
  src?: string;
  /** The metric (lower wins): `0` to `4294967295`. */
  metric?: number;
  /** The table; `'main'` when left out. */
  table?: RouteTable;
  /** The scope; `ip`'s choice when left out (`'link'` for a route without gateway, ...). */
  scope?: RouteScope | number;
  /** The type; `'unicast'` when adding, any when deleting. */
  type?: RouteType | number;
  /** The family of a `'default'` route with neither `via` nor `src`: 4 (the default) or 6. */
  family?: 4 | 6;
  /** Who made the route (`RTPROT_*`: `ip route add` and this package use 3, `boot`). */
  protocol?: number;
}

/** A route as `NetNS.routes()` lists it; it can be passed to `deleteRoute` as it is. */
export interface RouteInfo {
  /** `'default'` or the destination network. */
  to: string;
  /** 4 or 6. */
  family: 4 | 6;
  /** The gateway, if any. */
  via?: string;
  /** The output device, if any. */
  dev?: string;
  /** The preferred source address, if any. */
  src?: string;
  /** The metric, if it is not 0. */
  metric?: number;
  /** The table's number (main is 254). */
  table: number;
  /** The scope. */
  scope: RouteScope | number;
  /** The type. */
  type: RouteType | number;
  /** Who made the route: 2 the kernel (the subnet of an address), 3 `ip route add` and this package. */
  protocol: number;
}

/** Which routes `NetNS.routes()` lists. */
export interface RouteFilter {
  /** Only IPv4 (4) or IPv6 (6) routes; both when left out. */
  family?: 4 | 6;
  /** The table to list, `'main'` when left out; `'all'` for every table. */
  table?: RouteTable | 'all';
}

const ROUTE_KEYS = new Set(['to', 'via', 'dev', 'src', 'metric', 'table', 'scope', 'type', 'family', 'protocol']);
const FILTER_KEYS = new Set(['family', 'table']);

type NativeRoute = Parameters<typeof native.addRoute>[1];

/** A table by name or number, as the kernel's number. @internal */
export function tableNumber(value: unknown, name: string): number {
  if (typeof value === 'string' && value in TABLES) return TABLES[value];
  if (typeof value === 'string') throw new InvalidArgValueError(name, value, "must be a table number or 'main', 'local', 'default'");
  validateInteger(value, name, 1, 0xffff_ffff);
  return value;
}

/** A scope or type by name (from `names`) or number (0 to 255). */
function byteOrName(value: unknown, name: string, names: Record<string, number>): number {
  if (typeof value === 'string') {
    if (value in names) return names[value];
    throw new InvalidArgValueError(name, value, `must be one of ${Object.keys(names).join(', ')} or a number`);
  }
  validateInteger(value, name, 0, 255);
  return value;
}

/** Checks `route` and puts it in the binding's form; every address must be of one family. */
function nativeRoute(route: unknown): NativeRoute {
  validateObject(route, 'route');
  validateKnownOptions(route, ROUTE_KEYS, 'route', 'a route');
  const { to, via, dev, src, metric, table, scope, type, family, protocol } = route;
  if (family !== undefined) validateFamily(family, 'route.family');
  const families: [string, 4 | 6][] = [];
  let dst: { address: string; prefixLen: number } | undefined;
  if (to !== 'default') {
    const net = parseNetwork(to, 'route.to');
    families.push(['route.to', net.family]);
    dst = net;
  }
  if (via !== undefined) families.push(['route.via', validateIPAddress(via, 'route.via')]);
  if (src !== undefined) families.push(['route.src', validateIPAddress(src, 'route.src')]);
  const chosen = (family as 4 | 6 | undefined) ?? families[0]?.[1] ?? 4;
  const mixed = families.find(([, f]) => f !== chosen);
  if (mixed) {
    throw new InvalidArgValueError(mixed[0], route[mixed[0].slice(6)], `must be an IPv${chosen} address, as the rest of the route is`);
  }
  if (dev !== undefined) validateDeviceName(dev, 'route.dev');
  if (metric !== undefined) validateUint32(metric, 'route.metric');
  if (protocol !== undefined) validateInteger(protocol, 'route.protocol', 0, 255);
  return {
    dst: dst?.address ?? (chosen === 4 ? '0.0.0.0' : '::'),
    dstLen: dst?.prefixLen ?? 0,
    gateway: via as string | undefined,
    dev: dev as string | undefined,
    src: src as string | undefined,
    metric: metric as number | undefined,
    table: table === undefined ? undefined : tableNumber(table, 'route.table'),
    scope: scope === undefined ? undefined : byteOrName(scope, 'route.scope', SCOPES),
    type: type === undefined ? undefined : byteOrName(type, 'route.type', TYPES),
    protocol: protocol as number | undefined,
  };
}

/** Adds `route` to `nsFd`. */
export function addRoute(nsFd: number, route: unknown): void {
  const arg = nativeRoute(route);
  callNative(() => native.addRoute(nsFd, arg));
}

/** Adds `route` to `nsFd`, or replaces the route to the same destination and metric. */
export function replaceRoute(nsFd: number, route: unknown): void {
  const arg = nativeRoute(route);
  callNative(() => native.replaceRoute(nsFd, arg));
}

/** Deletes the route of `nsFd` that matches `route`. */
export function deleteRoute(nsFd: number, route: unknown): void {
  const arg = nativeRoute(route);
  callNative(() => native.deleteRoute(nsFd, arg));
}

/** The routes of `nsFd` that `filter` selects. */
export function listRoutes(nsFd: number, filter: unknown): RouteInfo[] {
  if (filter !== undefined) {
    validateObject(filter, 'filter');
    validateKnownOptions(filter, FILTER_KEYS, 'filter', 'routes()');
  }
  const { family, table } = (filter ?? {}) as Record<string, unknown>;
  if (family !== undefined) validateFamily(family, 'filter.family');
  const tableArg = table === 'all' ? null : tableNumber(table ?? 'main', 'filter.table');
  const v6 = family === undefined ? null : family === 6;
  return callNative(() => native.listRoutes(nsFd, v6, tableArg)).map((r) => {
    const info: RouteInfo = {
      to: r.dstLen === 0 ? 'default' : `${r.dst}/${r.dstLen}`,
      family: r.dst.includes(':') ? 6 : 4,
      table: r.table ?? 254,
      scope: scopeName(r.scope ?? 0) as RouteScope | number,
      type: (Object.keys(TYPES).find((k) => TYPES[k] === r.type) ?? r.type ?? 0) as RouteType | number,
      protocol: r.protocol ?? 0,
    };
    if (r.gateway !== undefined && r.gateway !== null) info.via = r.gateway;
    if (r.dev !== undefined && r.dev !== null) info.dev = r.dev;
    if (r.src !== undefined && r.src !== null) info.src = r.src;
    if (r.metric !== undefined && r.metric !== null) info.metric = r.metric;
    return info;
  });
}
