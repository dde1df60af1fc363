/**
 * Network devices inside a namespace, over rtnetlink and without the `ip` binary: veth pairs
 * between namespaces, up and down, IPv4/IPv6 addresses, deletion and listing. Each call is one
 * native call that opens a netlink socket inside the namespace, sends one request and waits for
 * the kernel's answer; kernel refusals are `NetNSSystemError`s (`EEXIST`, `ENODEV`, `EPERM`...)
 * whose `syscall` is the request (`RTM_NEWLINK`, `RTM_DELLINK`, `RTM_NEWADDR`, `RTM_GETLINK`)
 * and whose `target` is the device name.
 */
import { isIPv4, isIPv6 } from 'node:net';

import { callNative, InvalidArgValueError } from './errors';
import { native } from './native';
import { validateDeviceName, validateString } from './validate';

/** A network device of a namespace, as `NetNS.links()` lists it. */
export interface LinkInfo {
  /** The device name, e.g. `lo` or `veth0`. */
  name: string;
  /** The interface index, unique within the namespace. */
  index: number;
  /** Whether the device is administratively up (`ip link set NAME up`). */
  up: boolean;
}

/** An address with its prefix length, split out of a CIDR string. */
interface Cidr {
  address: string;
  prefixLen: number;
}

/**
 * Reads `'10.7.0.1/30'` or `'fd00::1/64'`: an IPv4 or IPv6 literal (no zone), `/`, and a decimal
 * prefix length of at most 32 or 128. Anything else is `ERR_INVALID_ARG_VALUE`.
 */
export function parseCidr(value: unknown, name: string): Cidr {
  validateString(value, name);
  const slash = value.indexOf('/');
  const address = value.slice(0, slash);
  const prefix = value.slice(slash + 1);
  const max = isIPv4(address) ? 32 : isIPv6(address) && !address.includes('%') ? 128 : 0;
  const prefixLen = /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : -1;
  if (slash < 0 || max === 0 || prefixLen < 0 || prefixLen > max) {
    const expected = "must be an IP address with a prefix length, such as '10.7.0.1/30' or 'fd00::1/64'";
    throw new InvalidArgValueError(name, value, expected);
  }
  return { address, prefixLen };
}

/** Creates a veth pair: `name` in the namespace `nsFd`, `peerName` in `peerFd` (same namespace when undefined). */
export function addVeth(nsFd: number, name: unknown, peerName: unknown, peerFd: number | undefined): void {
  validateDeviceName(name, 'name');
  validateDeviceName(peerName, 'peerName');
  callNative(() => native.addVeth(nsFd, name, peerName, peerFd ?? null));
}

/** Sets the device `name` in `nsFd` up or down. */
export function setLinkUp(nsFd: number, name: unknown, up: boolean): void {
  validateDeviceName(name, 'name');
  callNative(() => native.setLinkUp(nsFd, name, up));
}

/** Adds the address `cidr` to the device `name` in `nsFd`. */
export function addAddress(nsFd: number, name: unknown, cidr: unknown): void {
  validateDeviceName(name, 'name');
  const { address, prefixLen } = parseCidr(cidr, 'cidr');
  callNative(() => native.addAddress(nsFd, name, address, prefixLen));
}

/** Deletes the device `name` in `nsFd`. */
export function deleteLink(nsFd: number, name: unknown): void {
  validateDeviceName(name, 'name');
  callNative(() => native.deleteLink(nsFd, name));
}

/** The devices of `nsFd`, by index. */
export function listLinks(nsFd: number): LinkInfo[] {
  return callNative(() => native.listLinks(nsFd)).map(({ name, index, up }) => ({ name, index, up }));
}
