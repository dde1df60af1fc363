/**
 * Which values are real `NetNS` handles. The check is the class's own (whether an object has
 * its private field), so that an argument that must be a namespace is checked by identity, not
 * by shape: a path, a number, a `{ fd }` look-alike or an object made with
 * `Object.create(NetNS.prototype)` is refused before any fd exists, instead of silently
 * meaning "the calling thread's namespace".
 */
import { InvalidArgTypeError } from './errors';
import type { NetNS } from './netns';

let check: (value: object) => boolean = () => false;

/** Installs the brand check; the `NetNS` class does it once, as it is defined. @internal */
export function setNetNSCheck(brandCheck: (value: object) => boolean): void {
  check = brandCheck;
}

/** Whether `value` is a handle the `NetNS` constructor made (open or closed). */
export function isNetNS(value: unknown): value is NetNS {
  return typeof value === 'object' && value !== null && check(value);
}

/** Throws `ERR_INVALID_ARG_TYPE` unless `value` is a `NetNS`. */
export function validateNetNS(value: unknown, name: string): asserts value is NetNS {
  if (!isNetNS(value)) throw new InvalidArgTypeError(name, 'an instance of NetNS', value);
}

/** Throws `ERR_INVALID_ARG_TYPE` unless `value` is a `NetNS` or `null` (the calling thread's namespace). */
export function validateNetNSOrNull(value: unknown, name: string): asserts value is NetNS | null {
  if (value !== null && !isNetNS(value)) throw new InvalidArgTypeError(name, 'an instance of NetNS or null', value);
}
