/** Kernel constants, under the names Go's `ns` and `unix` packages use. */

/** `SO_MARK`: the socket option that sets a socket's firewall mark. */
export const SO_MARK = 0x24;
/** `CLONE_NEWNET`: the namespace type of a network namespace, for `setns(fd, nstype)`. */
export const CLONE_NEWNET = 0x4000_0000;
/** The `statfs` magic number of nsfs, where namespace files live. */
export const NSFS_MAGIC = 0x6e73_6673;
/** The `statfs` magic number of procfs (namespace files on old kernels). */
export const PROCFS_MAGIC = 0x9fa0;
