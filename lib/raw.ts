/** The raw calls of Go's `ns` package: thread id, `setns`, and the namespace path check. */
import { callNative, NetNSRootlessUnsupportedError } from './errors';
import { native } from './native';
import { validateFd, validateInt32, validatePath } from './validate';

/** The kernel thread id of the calling thread (the main thread's equals `process.pid`). */
export function gettid(): number {
  return native.gettid();
}

/**
 * `setns(2)`: moves the calling thread into the namespace behind `fd`, for good. `nstype` is 0
 * (any) or the `CLONE_NEW*` type it must be. Prefer `NetNS.do()`, which switches back. The fd
 * of a rootless namespace throws `NetNSRootlessUnsupportedError` before anything is switched.
 */
export function setns(fd: number, nstype: number): void {
  validateFd(fd, 'fd');
  validateInt32(nstype, 'nstype');
  if (callNative(() => native.isRootlessNs(fd))) throw new NetNSRootlessUnsupportedError('setns()');
  callNative(() => native.setns(fd, nstype));
}

/**
 * Throws `NSPathNotExistError` if `path` does not exist and `NSPathNotNSError` if it is not on
 * nsfs or procfs; returns nothing otherwise. Any namespace type passes; `getNS` also checks it.
 */
export function isNSorErr(path: string): void {
  validatePath(path, 'path');
  callNative(() => native.isNsOrErr(path));
}
