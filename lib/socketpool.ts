/**
 * How many spare sockets a namespace handle keeps per (family, kind): when a handle needs a
 * socket and has no spare, one switch into its namespace makes the socket and this many spares,
 * so the next sockets of that kind cost no switch. 0 turns the pool off.
 *
 * The default is {@link DEFAULT_SOCKET_POOL_SIZE}, or `NETNS_SOCKET_POOL` from the environment
 * when the package loads; `setSocketPoolSize()` changes it for every handle from its next socket
 * on. Spares are plain sockets (close-on-exec, non-blocking, unbound, no option set); a handle's
 * `close()`, or its garbage collection, closes them with its namespace file.
 */
import { validateInteger } from './validate';

/** The default number of spare sockets per handle and (family, kind). */
export const DEFAULT_SOCKET_POOL_SIZE = 8;
/** The largest pool size (the native pool clamps to the same bound). */
export const MAX_SOCKET_POOL_SIZE = 64;

function fromEnv(): number {
  const raw = process.env.NETNS_SOCKET_POOL;
  if (raw === undefined || raw === '') return DEFAULT_SOCKET_POOL_SIZE;
  // Decimal digits only: Number() would also take '1e1', '0x10', '0b11', ' 8' and '-0'.
  const n = /^[0-9]{1,2}$/.test(raw) ? Number(raw) : NaN;
  if (n <= MAX_SOCKET_POOL_SIZE) return n;
  process.emitWarning(`NETNS_SOCKET_POOL must be a decimal integer from 0 to ${MAX_SOCKET_POOL_SIZE}, got '${raw}'; using ${DEFAULT_SOCKET_POOL_SIZE}.`, {
    code: 'NETNS_SOCKET_POOL_ENV',
  });
  return DEFAULT_SOCKET_POOL_SIZE;
}

let size = fromEnv();

/**
 * Sets how many spare sockets each namespace handle keeps per (family, kind), from 0 (off) to
 * 64, and returns the previous size. Handles apply it at their next socket of each kind: a
 * smaller size closes the spares above it then; `close()` closes all of a handle's spares.
 */
export function setSocketPoolSize(newSize: number): number {
  validateInteger(newSize, 'size', 0, MAX_SOCKET_POOL_SIZE);
  const previous = size;
  size = newSize;
  return previous;
}

/** The number of spare sockets each namespace handle keeps per (family, kind). */
export function socketPoolSize(): number {
  return size;
}
