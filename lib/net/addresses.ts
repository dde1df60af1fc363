/**
 * IPv4 and IPv6 addresses of the devices of a namespace, over rtnetlink: add (`ip addr add`),
 * delete (`ip addr del`), list (`ip addr show`).
 */
import { callNative } from '../errors';
import { native } from '../native';
import { validateDeviceName } from '../validate';
import { parseCidr } from './cidr';

/** The scopes of addresses and routes, by the kernel's number (`RT_SCOPE_*`), as `ip` names them. */
export const SCOPES: Record<string, number> = { global: 0, site: 200, link: 253, host: 254, nowhere: 255 };

/** The name `ip` gives to a scope number, or the number itself when it has none. */
export function scopeName(scope: number): string | number {
  return Object.keys(SCOPES).find((k) => SCOPES[k] === scope) ?? scope;
}

/** An address of a device, as `NetNS.addresses()` lists it. */
export interface AddressInfo {
  /** The device's name. */
  name: string;
  /** The device's interface index. */
  index: number;
  /** The address and prefix length, `'10.7.0.1/30'`: what `addAddress` and `deleteAddress` take. */
  cidr: string;
  /** The address alone. */
  address: string;
  /** The prefix length. */
  prefixLen: number;
  /** 4 or 6. */
  family: 4 | 6;
  /** `'global'`, `'link'` (IPv6 `fe80::`), `'host'` (`127.0.0.1` on `lo`), as `ip` prints it. */
  scope: string | number;
}

/** Adds the address `cidr` to the device `name` in `nsFd`. */
export function addAddress(nsFd: number, name: unknown, cidr: unknown): void {
  validateDeviceName(name, 'name');
  const { address, prefixLen } = parseCidr(cidr, 'cidr');
  callNative(() => native.addAddress(nsFd, name, address, prefixLen));
}

/** Deletes the address `cidr` from the device `name` in `nsFd`. */
export function deleteAddress(nsFd: number, name: unknown, cidr: unknown): void {
  validateDeviceName(name, 'name');
  const { address, prefixLen } = parseCidr(cidr, 'cidr');
  callNative(() => native.deleteAddress(nsFd, name, address, prefixLen));
}

/** The addresses of `nsFd`, of every device or of the device `name`. */
export function listAddresses(nsFd: number, name: unknown): AddressInfo[] {
  if (name !== undefined) validateDeviceName(name, 'name');
  return callNative(() => native.listAddresses(nsFd, name ?? null)).map((a) => ({
    name: a.name,
    index: a.index,
    cidr: `${a.address}/${a.prefixLen}`,
    address: a.address,
    prefixLen: a.prefixLen,
    family: a.address.includes(':') ? 6 : 4,
    scope: scopeName(a.scope),
  }));
}
