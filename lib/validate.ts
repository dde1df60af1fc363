/** Argument validators: one small function per check, throwing Node's error classes and codes. */
import { isIP } from 'node:net';

import { InvalidArgTypeError, InvalidArgValueError, NetNSInvalidNameError, OutOfRangeError } from './errors';

/** Throws `ERR_INVALID_ARG_TYPE` unless `value` is a string. */
export function validateString(value: unknown, name: string): asserts value is string {
  if (typeof value !== 'string') throw new InvalidArgTypeError(name, 'of type string', value);
}

/** Throws `ERR_INVALID_ARG_TYPE` unless `value` is a function. */
export function validateFunction(value: unknown, name: string): asserts value is (...args: never[]) => unknown {
  if (typeof value !== 'function') throw new InvalidArgTypeError(name, 'of type function', value);
}

/** Throws `ERR_INVALID_ARG_TYPE` unless `value` is a plain object (not null, not an array). */
export function validateObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidArgTypeError(name, 'of type object', value);
  }
}

/** Throws `ERR_INVALID_ARG_TYPE` unless `value` is a number, `ERR_OUT_OF_RANGE` unless an integer in [min, max]. */
export function validateInteger(value: unknown, name: string, min: number, max: number): asserts value is number {
  if (typeof value !== 'number') throw new InvalidArgTypeError(name, 'of type number', value);
  if (!Number.isInteger(value)) throw new OutOfRangeError(name, 'an integer', value);
  if (value < min || value > max) throw new OutOfRangeError(name, `>= ${min} && <= ${max}`, value);
}

/** An unsigned 32-bit integer, such as a socket mark. */
export function validateUint32(value: unknown, name: string): asserts value is number {
  validateInteger(value, name, 0, 0xffff_ffff);
}

/** A signed 32-bit integer, such as a `CLONE_NEW*` flag. */
export function validateInt32(value: unknown, name: string): asserts value is number {
  validateInteger(value, name, -0x8000_0000, 0x7fff_ffff);
}

/** A file descriptor number. */
export function validateFd(value: unknown, name: string): asserts value is number {
  validateInteger(value, name, 0, 0x7fff_ffff);
}

/** A path: a non-empty string without NUL bytes. */
export function validatePath(value: unknown, name: string): asserts value is string {
  validateString(value, name);
  if (value.length === 0) throw new InvalidArgValueError(name, value, 'must be a non-empty path');
  if (value.includes('\0')) throw new InvalidArgValueError(name, value, 'must be a string without null bytes');
}

/** Throws `ERR_INVALID_ARG_TYPE` unless `value` is a string or a `URL`, such as a path or a `file:` URL. */
export function validateStringOrURL(value: unknown, name: string): asserts value is string | URL {
  if (typeof value !== 'string' && !(value instanceof URL)) {
    throw new InvalidArgTypeError(name, 'of type string or an instance of URL', value);
  }
}

/**
 * A namespace name: a string (`ERR_INVALID_ARG_TYPE`) that is a single path component, as
 * `ip netns` requires: not empty, `.` or `..`, without `/` or NUL, at most 255 bytes in UTF-8
 * (`NetNSInvalidNameError`, `ERR_NETNS_INVALID_NAME`).
 */
export function validateNetNSName(value: unknown, name: string): asserts value is string {
  validateString(value, name);
  const reason =
    value === ''
      ? 'it is empty'
      : value === '.' || value === '..'
        ? "'.' and '..' are not names"
        : value.includes('/')
          ? "it contains '/'"
          : value.includes('\0')
            ? 'it contains a NUL byte'
            : Buffer.byteLength(value, 'utf8') > 255
              ? 'it is longer than 255 bytes'
              : undefined;
  if (reason !== undefined) {
    const shown = JSON.stringify(value.length > 64 ? `${value.slice(0, 61)}...` : value);
    throw new NetNSInvalidNameError(
      `invalid namespace name ${shown} (${name}): ${reason}; a name must be a single path component`,
    );
  }
}

/** Throws `ERR_INVALID_ARG_TYPE` unless `value` is a boolean. */
export function validateBoolean(value: unknown, name: string): asserts value is boolean {
  if (typeof value !== 'boolean') throw new InvalidArgTypeError(name, 'of type boolean', value);
}

/**
 * A port: an integer in [0, 65535], or a string naming one as Node's `validatePort` reads it
 * (`+value`: `'8080'`, `' 8080'`, `'0x1f90'`; not empty or blank). Returns it as a number.
 */
export function validatePort(value: unknown, name: string): number {
  if (typeof value === 'string' && value.trim() !== '' && Number.isInteger(+value) && +value >= 0 && +value <= 65535) value = +value;
  if (typeof value !== 'number') throw new InvalidArgTypeError(name, 'of type number', value);
  validateInteger(value, name, 0, 65535);
  return value;
}

/**
 * A network device name as the kernel accepts one (`dev_valid_name`): 1 to 15 bytes, not `.` or
 * `..`, without `/`, `:`, NUL or white space. Whether it exists is for the kernel to say (`ENODEV`).
 */
export function validateDeviceName(value: unknown, name: string): asserts value is string {
  validateString(value, name);
  if (value.length === 0 || Buffer.byteLength(value) > 15 || value === '.' || value === '..' || /[/:\s\0]/.test(value)) {
    throw new InvalidArgValueError(name, value, 'must be a network device name (1 to 15 bytes, no "/", ":" or white space)');
  }
}

/** Throws `ERR_INVALID_ARG_VALUE` for the first own key of `options` that is not in `known`. */
export function validateKnownOptions(options: object, known: ReadonlySet<string>, name: string, where: string): void {
  for (const key of Object.keys(options)) {
    if (!known.has(key)) {
      throw new InvalidArgValueError(`${name}.${key}`, (options as Record<string, unknown>)[key], `is not an option of ${where}`);
    }
  }
}

/**
 * Throws `ERR_INVALID_ARG_TYPE` unless `value` is a plain object: made by `{}` or
 * `Object.create(null)`, not a boxed primitive (`new String('x')`), an array, a class instance.
 */
export function validatePlainObject(value: unknown, name: string): asserts value is Record<string, unknown> {
  validateObject(value, name);
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) throw new InvalidArgTypeError(name, 'a plain object', value);
}

/**
 * An IPv4 or IPv6 literal without a zone (`'10.7.0.1'`, `'fd00::1'`): `ERR_INVALID_ARG_TYPE` for
 * a non-string, `ERR_INVALID_ARG_VALUE` otherwise. Returns its family, 4 or 6.
 */
export function validateIPAddress(value: unknown, name: string): 4 | 6 {
  validateString(value, name);
  const family = isIP(value);
  if (family === 0 || value.includes('%')) {
    throw new InvalidArgValueError(name, value, "must be an IPv4 or IPv6 address, such as '10.7.0.1' or 'fd00::1'");
  }
  return family as 4 | 6;
}

/** `4` or `6` (`ERR_INVALID_ARG_VALUE` otherwise), such as an address family option. */
export function validateFamily(value: unknown, name: string): asserts value is 4 | 6 {
  if (value !== 4 && value !== 6) throw new InvalidArgValueError(name, value, 'must be 4 or 6');
}
