/**
 * The networking methods of `NetNS`: links, addresses, routes, rules and sysctls of the
 * namespace, over rtnetlink and `/proc/sys/net`, without the `ip` binary. `NetNS` gets them as
 * prototype methods (as lib/procs.ts gives it the process methods); each one passes the
 * handle's gate (`ns.fd`: `NetNSClosedError` after `close()`), checks its arguments, and makes
 * one native call.
 */
import { validateNetNS } from '../brand';
import type { NetNS } from '../netns';
import { addAddress, deleteAddress, listAddresses, type AddressInfo } from './addresses';
import { addBridge, addVeth, deleteLink, listLinks, moveLink, setLink, setLinkUp, type LinkChanges, type LinkInfo } from './links';
import { addRoute, deleteRoute, listRoutes, replaceRoute, type Route, type RouteFilter, type RouteInfo } from './routes';
import { addRule, deleteRule, listRules, type Rule, type RuleInfo } from './rules';
import { getSysctl, setSysctl } from './sysctl';
import { NetNSRootlessMixedError } from '../errors';
import { validateObject } from '../validate';

/** Options of `NetNS.moveLink()`. */
export interface MoveLinkOptions {
  /** The device's name in the target namespace; its current name when left out. */
  name?: string;
}

/** The networking methods every `NetNS` has. */
export interface NetworkMethods {
  /**
   * Creates a veth pair (`ip link add NAME type veth peer name PEER netns PEERNS`): `name` in
   * this namespace and its peer `peerName` in `peerNS` (this namespace when omitted). Both ends
   * start down. `EEXIST` if a name is taken.
   */
  addVeth(name: string, peerName: string, peerNS?: NetNS): void;
  /** Creates a bridge, down and without ports (`ip link add NAME type bridge`). */
  addBridge(name: string): void;
  /** Sets the device `name` up (`ip link set NAME up`); `ENODEV` if there is none. */
  setLinkUp(name: string): void;
  /** Sets the device `name` down (`ip link set NAME down`). */
  setLinkDown(name: string): void;
  /**
   * Changes the device `name` (`ip link set NAME up mtu M name N master B address A txqueuelen Q`)
   * in one request. If the kernel refuses a change, the ones it had made are set back.
   */
  setLink(name: string, changes: LinkChanges): void;
  /**
   * Moves the device `name` into `target` (`ip link set NAME netns TARGET [name NEW]`), renamed
   * to `options.name` on the way. It arrives down. A name taken in `target` is `EEXIST`, and the
   * device stays here, up if it was; `lo` and bridges cannot move (`EINVAL`).
   */
  moveLink(name: string, target: NetNS, options?: MoveLinkOptions): void;
  /** Deletes the device `name` (both ends, for a veth pair). */
  deleteLink(name: string): void;
  /** The devices of this namespace, by index (`ip link show`). */
  links(): LinkInfo[];
  /** Adds an address such as `'10.7.0.1/30'` or `'fd00::1/64'` to the device `name` (`ip addr add CIDR dev NAME`). */
  addAddress(name: string, cidr: string): void;
  /** Deletes an address from the device `name` (`ip addr del CIDR dev NAME`); `EADDRNOTAVAIL` if it has none such. */
  deleteAddress(name: string, cidr: string): void;
  /** The addresses of every device, or of the device `name` (`ip addr show [dev NAME]`). */
  addresses(name?: string): AddressInfo[];
  /**
   * Adds a route (`ip route add`). `EEXIST` if the table has one to the same destination and
   * metric; a gateway on no link is `ENETUNREACH` with the kernel's `detail`
   * `'Nexthop has invalid gateway'`.
   */
  addRoute(route: Route): void;
  /** Adds a route or replaces the one to the same destination and metric (`ip route replace`). */
  replaceRoute(route: Route): void;
  /** Deletes the route that matches (`ip route del`); the fields left out match anything. `ESRCH` if none does. */
  deleteRoute(route: Route): void;
  /** The routes of the main table, or as `filter` says (`ip route show [table T]`, `ip -6 route show`). */
  routes(filter?: RouteFilter): RouteInfo[];
  /** Adds a policy rule (`ip rule add fwmark MARK lookup TABLE`). `EEXIST` if the same rule exists. */
  addRule(rule: Rule): void;
  /** Deletes the first rule that matches (`ip rule del`). `ENOENT` if none does. */
  deleteRule(rule: Rule): void;
  /** The "lookup" rules of this namespace, the kernel's own included (`ip rule show`, `ip -6 rule show`). */
  rules(): RuleInfo[];
  /** The value of a `net.*` sysctl of this namespace, as `sysctl -n KEY` prints it. */
  sysctl(key: string): string;
  /** Sets a `net.*` sysctl of this namespace (`sysctl -w KEY=VALUE` inside it). */
  setSysctl(key: string, value: string | number): void;
}

/**
 * Refuses one call over a rootless namespace and one that is not: the rootless helper cannot act
 * on a namespace it does not own, and this process cannot enter the helper's.
 */
function sameKind(ns: NetNS, other: NetNS, operation: string): void {
  if (other.rootless !== ns.rootless) throw new NetNSRootlessMixedError(operation);
}

const methods: { [K in keyof NetworkMethods]: (this: NetNS, ...args: never[]) => unknown } = {
  addVeth(this: NetNS, name: string, peerName: string, peerNS?: NetNS) {
    const fd = this.fd;
    if (peerNS !== undefined) {
      validateNetNS(peerNS, 'peerNS');
      sameKind(this, peerNS, 'NetNS.addVeth()');
    }
    addVeth(fd, name, peerName, peerNS?.fd);
  },
  addBridge(this: NetNS, name: string) {
    addBridge(this.fd, name);
  },
  setLinkUp(this: NetNS, name: string) {
    setLinkUp(this.fd, name, true);
  },
  setLinkDown(this: NetNS, name: string) {
    setLinkUp(this.fd, name, false);
  },
  setLink(this: NetNS, name: string, changes: LinkChanges) {
    setLink(this.fd, name, changes);
  },
  moveLink(this: NetNS, name: string, target: NetNS, options?: MoveLinkOptions) {
    const fd = this.fd;
    validateNetNS(target, 'target');
    sameKind(this, target, 'NetNS.moveLink()');
    if (options !== undefined) validateObject(options, 'options');
    moveLink(fd, name, target.fd, options?.name);
  },
  deleteLink(this: NetNS, name: string) {
    deleteLink(this.fd, name);
  },
  links(this: NetNS) {
    return listLinks(this.fd);
  },
  addAddress(this: NetNS, name: string, cidr: string) {
    addAddress(this.fd, name, cidr);
  },
  deleteAddress(this: NetNS, name: string, cidr: string) {
    deleteAddress(this.fd, name, cidr);
  },
  addresses(this: NetNS, name?: string) {
    return listAddresses(this.fd, name);
  },
  addRoute(this: NetNS, route: Route) {
    addRoute(this.fd, route);
  },
  replaceRoute(this: NetNS, route: Route) {
    replaceRoute(this.fd, route);
  },
  deleteRoute(this: NetNS, route: Route) {
    deleteRoute(this.fd, route);
  },
  routes(this: NetNS, filter?: RouteFilter) {
    return listRoutes(this.fd, filter);
  },
  addRule(this: NetNS, rule: Rule) {
    addRule(this.fd, rule);
  },
  deleteRule(this: NetNS, rule: Rule) {
    deleteRule(this.fd, rule);
  },
  rules(this: NetNS) {
    return listRules(this.fd);
  },
  sysctl(this: NetNS, key: string) {
    return getSysctl(this.fd, key);
  },
  setSysctl(this: NetNS, key: string, value: string | number) {
    setSysctl(this.fd, key, value);
  },
};

/**
 * The networking methods as property descriptors for `NetNS.prototype` (not enumerable, as
 * class methods are).
 * @internal
 */
export const networkMethods: PropertyDescriptorMap = Object.fromEntries(
  Object.entries(methods).map(([name, value]) => [name, { value, writable: true, configurable: true, enumerable: false }]),
);
