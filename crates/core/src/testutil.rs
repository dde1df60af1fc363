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

/// Runs `f` on a new thread whose effective capabilities lack `CAP_SYS_ADMIN` (`capset(2)` acts
/// on the calling thread only), as an ordinary user's would; the test threads keep theirs.
pub(crate) fn without_sys_admin<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    #[repr(C)]
    struct Header {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy, Default)]
    struct Data {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    const CAP_SYS_ADMIN: u32 = 21;
    std::thread::spawn(move || {
        let mut header = Header { version: LINUX_CAPABILITY_VERSION_3, pid: 0 };
        let mut data = [Data::default(); 2];
        // SAFETY: a version 3 header and the two data words it reads and writes.
        let rc = unsafe { libc::syscall(libc::SYS_capget, &mut header, data.as_mut_ptr()) };
        assert_eq!(rc, 0, "capget: {}", Errno::last());
        data[0].effective &= !(1 << CAP_SYS_ADMIN);
        // SAFETY: as above; lowering the effective set of the calling thread is always allowed.
        let rc = unsafe { libc::syscall(libc::SYS_capset, &mut header, data.as_ptr()) };
        assert_eq!(rc, 0, "capset: {}", Errno::last());
        f()
    })
    .join()
    .unwrap()
}
