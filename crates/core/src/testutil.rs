//! Helpers the core's unit tests share: real namespaces and sockets, no mocks.

use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd};

use nix::errno::Errno;
use nix::sched::{unshare, CloneFlags};
use nix::sys::socket::{getsockname, SockaddrStorage};

use crate::nsfile::NetNs;

/// A new network namespace, made on a thread of its own which then ends: no test thread changes.
pub(crate) fn unshared_netns() -> NetNs {
    std::thread::spawn(|| {
        unshare(CloneFlags::CLONE_NEWNET).expect("unshare needs root");
        NetNs::current().unwrap()
    })
    .join()
    .unwrap()
}

/// The inode of the namespace a socket lives in (`SIOCGSKNS` opens it).
pub(crate) fn socket_ns_inode(fd: BorrowedFd<'_>) -> u64 {
    const SIOCGSKNS: libc::c_ulong = 0x894C;
    // SAFETY: SIOCGSKNS takes no argument and returns a new namespace fd or -1.
    let nsfd = unsafe { libc::ioctl(fd.as_raw_fd(), SIOCGSKNS as _) };
    assert!(nsfd >= 0, "SIOCGSKNS: {}", Errno::last());
    // SAFETY: the ioctl returned a fresh fd that we now own.
    let ns = NetNs::from_owned(unsafe { FromRawFd::from_raw_fd(nsfd) });
    ns.identity().unwrap().ino
}

/// The local port of an IPv4 or IPv6 socket.
pub(crate) fn port_of(fd: BorrowedFd<'_>) -> u16 {
    let addr: SockaddrStorage = getsockname(fd.as_raw_fd()).unwrap();
    addr.as_sockaddr_in().map(|a| a.port()).or_else(|| addr.as_sockaddr_in6().map(|a| a.port())).unwrap()
}
