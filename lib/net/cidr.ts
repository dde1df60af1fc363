/** CIDR strings (`'10.7.0.0/24'`, `'fd00::1/64'`) as the networking methods take and give them. */
import { isIPv4, isIPv6 } from 'node:net';

import { InvalidArgValueError } from '../errors';
import { validateString } from '../validate';

/** An address with its prefix length, split out of a CIDR string. */
export interface Cidr {
  address: string;
  prefixLen: number;
  family: 4 | 6;
}

/**
 * Reads `'10.7.0.1/30'` or `'fd00::1/64'`: an IPv4 or IPv6 literal (no zone), `/`, and a decimal
 * prefix length of at most 32 or 128. Anything else is `ERR_INVALID_ARG_VALUE`. With
 * `bare: true` an address without `/` is taken as a single host (`/32`, `/128`).
 */
export function parseCidr(value: unknown, name: string, bare = false): Cidr {
  validateString(value, name);
  const slash = value.indexOf('/');
  const address = slash < 0 && bare ? value : value.slice(0, slash);
  const family = isIPv4(address) ? 4 : isIPv6(address) && !address.includes('%') ? 6 : 0;
  const max = family === 4 ? 32 : 128;
  const prefix = slash < 0 && bare ? String(max) : value.slice(slash + 1);
  const prefixLen = /^[0-9]{1,3}$/.test(prefix) ? Number(prefix) : -1;
  if ((slash < 0 && !bare) || family === 0 || prefixLen < 0 || prefixLen > max) {
    const expected = "must be an IP address with a prefix length, such as '10.7.0.1/30' or 'fd00::1/64'";
    throw new InvalidArgValueError(name, value, expected);
  }
  return { address, prefixLen, family };
}

/** The 4 or 16 bytes of an IPv4 or IPv6 literal (already validated). */
function ipBytes(address: string): number[] {
  if (isIPv4(address)) return address.split('.').map(Number);
  // A trailing dotted quad (`::ffff:10.0.0.1`) is two more groups.
  const text = address.replace(/(\d+)\.(\d+)\.(\d+)\.(\d+)$/, (_m, a, b, c, d) =>
    `${((+a << 8) | +b).toString(16)}:${((+c << 8) | +d).toString(16)}`,
  );
  const [head, rest] = text.split('::');
  const groups = (s: string | undefined): number[] => (s ? s.split(':').map((g) => parseInt(g, 16)) : []);
  const left = groups(head);
  const right = groups(rest);
  const zeros = rest === undefined ? [] : Array<number>(8 - left.length - right.length).fill(0);
  return [...left, ...zeros, ...right].flatMap((g) => [g >> 8, g & 0xff]);
}

/**
 * A network in CIDR form whose address has no bits set past its prefix (`'10.7.0.0/24'`, not
 * `'10.7.0.1/24'`), as routes and rules name destinations; `ERR_INVALID_ARG_VALUE` otherwise.
 */
export function parseNetwork(value: unknown, name: string): Cidr {
  const cidr = parseCidr(value, name, true);
  const hostBits = ipBytes(cidr.address).some((byte, i) => {
    const keep = Math.max(0, Math.min(8, cidr.prefixLen - i * 8));
    return (byte & (0xff >> keep)) !== 0;
  });
  if (hostBits) {
    throw new InvalidArgValueError(name, value, 'must be a network address: no bits may be set past the prefix length');
  }
  return cidr;
}
