/**
 * The `net.*` sysctls of a namespace, read and written inside it in one native call
 * (`/proc/sys/net` shows the namespace of the thread that opens it): `net.ipv4.ip_forward`,
 * `net.ipv6.conf.all.forwarding`, `net.ipv4.conf.<dev>.rp_filter` ... Other keys are refused
 * before anything is opened: the rest of `/proc/sys` belongs to the whole machine.
 */
import { callNative, InvalidArgValueError } from '../errors';
import { native } from '../native';
import { validateString } from '../validate';

/**
 * A key under `net.`: components of letters, digits, `_` and `-` joined by `.`, at most 255
 * bytes; no `/`, no empty component (so no `..`). `ERR_INVALID_ARG_VALUE` otherwise.
 */
function validateSysctlKey(key: unknown): asserts key is string {
  validateString(key, 'key');
  if (key.length > 255 || !/^net(\.[A-Za-z0-9_-]+)+$/.test(key)) {
    throw new InvalidArgValueError('key', key, "must be a sysctl under 'net.', such as 'net.ipv4.ip_forward'");
  }
}

/** The value of `key` in `nsFd`, as `sysctl -n` prints it. */
export function getSysctl(nsFd: number, key: unknown): string {
  validateSysctlKey(key);
  return callNative(() => native.getSysctl(nsFd, key));
}

/** Writes `value` (a string, or a number written in decimal) to `key` in `nsFd`. */
export function setSysctl(nsFd: number, key: unknown, value: unknown): void {
  validateSysctlKey(key);
  if (typeof value === 'number' && Number.isFinite(value)) value = String(value);
  validateString(value, 'value');
  if (value.includes('\0')) throw new InvalidArgValueError('value', value, 'must be a string without null bytes');
  const text = value;
  callNative(() => native.setSysctl(nsFd, key, text));
}
