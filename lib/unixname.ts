/**
 * Abstract unix names (`'\0name'`) as the running Node spells them on the wire.
 *
 * Node 20 binds and connects an abstract name padded with NULs to the whole `sun_path`
 * (108 bytes); Node 22 and later use the name's exact length, as most other programs do. The
 * kernel compares the full address, so the two spellings never reach each other. The package
 * follows the running Node, so that `ns.connect`/`ns.listen`/`createSocketFd` with `'\0name'`
 * reach and serve exactly what `net.connect`/`server.listen` of the same process would.
 */

/** The size of `sun_path` in `struct sockaddr_un` on Linux. */
export const SUN_PATH_SIZE = 108;

/** Whether the running Node pads abstract unix names to the full `sun_path` (Node 20 and older). */
export const NODE_PADS_ABSTRACT_NAMES = Number(process.versions.node.split('.')[0]) < 22;

/**
 * `path` as the running Node binds and connects it: an abstract name (leading `'\0'`) is padded
 * with NULs to {@link SUN_PATH_SIZE} bytes where Node pads it; anything else is returned as is.
 */
export function asNodeUnixPath(path: string, pads: boolean = NODE_PADS_ABSTRACT_NAMES): string {
  if (!pads || !path.startsWith('\0')) return path;
  const length = Buffer.byteLength(path);
  return length < SUN_PATH_SIZE ? path + '\0'.repeat(SUN_PATH_SIZE - length) : path;
}
