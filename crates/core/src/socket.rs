//! Sockets made inside a network namespace: `socket(2)`, its options, `bind(2)`, `listen(2)` and
//! a unix `connect(2)`, all in one call while the thread is switched, handed back as one fd.
//!
//! A socket belongs for life to the namespace it was created in (`setns(2)` moves only the
//! calling thread), so creating it inside the target is all it takes; whoever uses the fd later,
//! from whatever thread, talks from that namespace.

use std::net::SocketAddr;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;

use nix::sys::socket::{
    bind, connect, listen, setsockopt, socket, sockopt, AddressFamily, Backlog, SockFlag, SockType, SockaddrIn,
    SockaddrIn6, UnixAddr,
};

use crate::error::{Error, Result, Subject};
use crate::mark::{bind_to_device, set_mark};
use crate::switch::NsGuard;

/// The address family of a new socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    /// `AF_INET`: IPv4.
    Inet,
    /// `AF_INET6`: IPv6 (dual-stack unless `v6_only`).
    Inet6,
    /// `AF_UNIX`: unix sockets, whose abstract names are per network namespace.
    Unix,
}

/// The type of a new socket.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// `SOCK_STREAM`: TCP, or a unix stream socket.
    Stream,
    /// `SOCK_DGRAM`: UDP, or a unix datagram socket.
    Datagram,
}

/// A unix socket address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UnixPath {
    /// A file system path: visible from every network namespace that shares the mount namespace.
    Path(PathBuf),
    /// An abstract name (without its leading NUL byte): it exists in one network namespace only.
    Abstract(Vec<u8>),
}

impl UnixPath {
    /// Reads Node's spelling: a leading NUL byte makes the rest an abstract name.
    pub fn from_node(path: &str) -> UnixPath {
        match path.strip_prefix('\0') {
            Some(name) => UnixPath::Abstract(name.as_bytes().to_vec()),
            None => UnixPath::Path(path.into()),
        }
    }

    fn describe(&self) -> String {
        match self {
            UnixPath::Path(p) => p.display().to_string(),
            // Node 20 pads abstract names with NULs to the whole sun_path: not worth showing.
            UnixPath::Abstract(name) => format!("@{}", String::from_utf8_lossy(name).trim_end_matches('\0')),
        }
    }

    fn to_addr(&self) -> Result<UnixAddr> {
        match self {
            UnixPath::Path(p) => UnixAddr::new(p.as_path()),
            UnixPath::Abstract(name) => UnixAddr::new_abstract(name),
        }
        .map_err(|e| Error::sys(e, "bind", Subject::Name(self.describe())))
    }
}

/// An address to bind a new socket to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// An IP address and port (port 0: the kernel picks one).
    Ip(SocketAddr),
    /// A unix socket path or abstract name.
    Unix(UnixPath),
}

impl Address {
    fn describe(&self) -> String {
        match self {
            Address::Ip(a) => a.to_string(),
            Address::Unix(p) => p.describe(),
        }
    }
}

/// What socket to make and how to set it up, in the order it is done.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SocketSpec {
    /// The address family.
    pub family: Family,
    /// Stream or datagram.
    pub kind: Kind,
    /// `SO_MARK`, set before anything else so that it covers the first packet.
    pub mark: Option<u32>,
    /// `SO_BINDTODEVICE`: the device must exist in the namespace (`ENODEV` otherwise).
    pub device: Option<String>,
    /// `SO_REUSEADDR`.
    pub reuse_addr: bool,
    /// `SO_REUSEPORT`.
    pub reuse_port: bool,
    /// `IPV6_V6ONLY` (only for [`Family::Inet6`]); `None` leaves the namespace's default.
    pub v6_only: Option<bool>,
    /// Where to bind; `None` leaves the socket unbound.
    pub bind: Option<Address>,
    /// `listen(2)` with this backlog (clamped to `SOMAXCONN`) after binding.
    pub listen: Option<i32>,
    /// A unix address to connect to, last (a unix `connect` completes at once or fails).
    pub connect_unix: Option<UnixPath>,
}

impl SocketSpec {
    /// A spec for a plain socket of `family` and `kind`, with no options.
    pub fn new(family: Family, kind: Kind) -> SocketSpec {
        SocketSpec {
            family,
            kind,
            mark: None,
            device: None,
            reuse_addr: false,
            reuse_port: false,
            v6_only: None,
            bind: None,
            listen: None,
            connect_unix: None,
        }
    }
}

/// Creates a socket inside the network namespace behind `ns` (the calling thread's own when
/// `None`), sets it up as `spec` says, and switches the thread back before returning.
///
/// The fd is `SOCK_CLOEXEC | SOCK_NONBLOCK`. On any error the half-made socket is closed.
/// See `socket(2)`, `socket(7)`, `bind(2)`, `listen(2)`, `connect(2)`.
///
/// A namespace of the rootless helper, which this process cannot enter, gets its socket made by
/// the helper; the options, bind, listen and connect are then applied here all the same.
pub fn socket_in(ns: Option<BorrowedFd<'_>>, spec: &SocketSpec) -> Result<OwnedFd> {
    if let Some(ns) = ns.filter(|ns| crate::rootless::owns(*ns)) {
        let fd = crate::rootless::sockets(ns, spec.family, spec.kind, 1)?.remove(0);
        set_up(fd.as_fd(), spec)?;
        return Ok(fd);
    }
    let _guard = match ns {
        Some(fd) => Some(NsGuard::enter(fd)?),
        None => None,
    };
    let fd = make_socket(spec.family, spec.kind)?;
    set_up(fd.as_fd(), spec)?;
    Ok(fd)
}

/// A new socket of `family` and `kind` in the calling thread's namespace, close-on-exec and
/// non-blocking, with no option set (`socket(2)`).
pub(crate) fn make_socket(family: Family, kind: Kind) -> Result<OwnedFd> {
    let domain = match family {
        Family::Inet => AddressFamily::Inet,
        Family::Inet6 => AddressFamily::Inet6,
        Family::Unix => AddressFamily::Unix,
    };
    let ty = match kind {
        Kind::Stream => SockType::Stream,
        Kind::Datagram => SockType::Datagram,
    };
    socket(domain, ty, SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK, None)
        .map_err(|e| Error::sys(e, "socket", Subject::None))
}

/// Applies `spec`'s options, bind, listen and unix connect to `fd`. Every step acts on the
/// socket's own namespace, whatever namespace the calling thread is in: `SO_BINDTODEVICE` looks the
/// device up there, `bind(2)` checks addresses there, abstract unix names are looked up there.
pub(crate) fn set_up(fd: BorrowedFd<'_>, spec: &SocketSpec) -> Result<()> {
    let opt_err = |e| Error::sys(e, "setsockopt", Subject::Fd(fd.as_raw_fd()));
    if let Some(mark) = spec.mark {
        set_mark(fd, mark)?;
    }
    if let Some(device) = &spec.device {
        bind_to_device(fd, device)?;
    }
    if spec.reuse_addr {
        setsockopt(&fd, sockopt::ReuseAddr, &true).map_err(opt_err)?;
    }
    if spec.reuse_port {
        setsockopt(&fd, sockopt::ReusePort, &true).map_err(opt_err)?;
    }
    if let (Family::Inet6, Some(v6_only)) = (spec.family, spec.v6_only) {
        setsockopt(&fd, sockopt::Ipv6V6Only, &v6_only).map_err(opt_err)?;
    }
    if let Some(address) = &spec.bind {
        let bind_err = |e| Error::sys(e, "bind", Subject::Name(address.describe()));
        match address {
            Address::Ip(SocketAddr::V4(a)) => bind(fd.as_raw_fd(), &SockaddrIn::from(*a)),
            Address::Ip(SocketAddr::V6(a)) => bind(fd.as_raw_fd(), &SockaddrIn6::from(*a)),
            Address::Unix(p) => bind(fd.as_raw_fd(), &p.to_addr()?),
        }
        .map_err(bind_err)?;
    }
    if let Some(backlog) = spec.listen {
        let backlog = Backlog::new(backlog.clamp(0, libc::SOMAXCONN)).expect("clamped to the valid range");
        listen(&fd, backlog).map_err(|e| Error::sys(e, "listen", Subject::Fd(fd.as_raw_fd())))?;
    }
    if let Some(path) = &spec.connect_unix {
        let addr = path.to_addr()?;
        connect(fd.as_raw_fd(), &addr).map_err(|e| Error::sys(e, "connect", Subject::Name(path.describe())))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nsfile::NetNs;
    use crate::testutil::{port_of, socket_ns_inode, unshared_netns};
    use nix::errno::Errno;
    use nix::sys::socket::getsockopt;
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

    #[test]
    fn the_socket_lives_in_the_target_and_the_thread_comes_back() {
        let target = unshared_netns();
        let before = NetNs::current().unwrap().identity().unwrap();
        let fd = socket_in(Some(target.as_fd()), &SocketSpec::new(Family::Inet, Kind::Stream)).unwrap();
        assert_eq!(socket_ns_inode(fd.as_fd()), target.identity().unwrap().ino);
        assert_eq!(NetNs::current().unwrap().identity().unwrap(), before);
        let here = socket_in(None, &SocketSpec::new(Family::Inet6, Kind::Datagram)).unwrap();
        assert_eq!(socket_ns_inode(here.as_fd()), before.ino);
    }

    #[test]
    fn options_bind_and_listen_with_port_zero() {
        let target = unshared_netns();
        let mut spec = SocketSpec::new(Family::Inet6, Kind::Stream);
        spec.mark = Some(7);
        spec.reuse_addr = true;
        spec.reuse_port = true;
        spec.v6_only = Some(true);
        spec.bind = Some(Address::Ip(SocketAddr::new(IpAddr::V6(Ipv6Addr::UNSPECIFIED), 0)));
        spec.listen = Some(100_000);
        let fd = socket_in(Some(target.as_fd()), &spec).unwrap();
        assert_eq!(crate::mark::get_mark(fd.as_fd()).unwrap(), 7);
        assert!(getsockopt(&fd, sockopt::ReuseAddr).unwrap());
        assert!(getsockopt(&fd, sockopt::ReusePort).unwrap());
        assert!(getsockopt(&fd, sockopt::Ipv6V6Only).unwrap());
        assert!(getsockopt(&fd, sockopt::AcceptConn).unwrap());
        assert_ne!(port_of(fd.as_fd()), 0);
    }

    #[test]
    fn an_unknown_device_is_enodev() {
        let target = unshared_netns();
        let mut spec = SocketSpec::new(Family::Inet, Kind::Datagram);
        spec.device = Some("nodev-xyz0".into());
        let e = socket_in(Some(target.as_fd()), &spec).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::ENODEV));
    }

    #[test]
    fn a_bind_failure_names_the_address_and_the_thread_comes_back() {
        let target = unshared_netns();
        let before = NetNs::current().unwrap().identity().unwrap();
        let mut spec = SocketSpec::new(Family::Inet, Kind::Stream);
        spec.bind = Some(Address::Ip(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)));
        spec.listen = Some(1);
        let first = socket_in(Some(target.as_fd()), &spec).unwrap();
        let port = port_of(first.as_fd());
        spec.bind = Some(Address::Ip(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)));
        let e = socket_in(Some(target.as_fd()), &spec).unwrap_err();
        assert_eq!(e, Error::sys(Errno::EADDRINUSE, "bind", Subject::Name(format!("0.0.0.0:{port}"))));
        assert_eq!(NetNs::current().unwrap().identity().unwrap(), before);
    }

    #[test]
    fn abstract_unix_names_are_per_namespace() {
        let a = unshared_netns();
        let b = unshared_netns();
        let name = format!("netns-core-test-{}", std::process::id());
        let mut server = SocketSpec::new(Family::Unix, Kind::Stream);
        server.bind = Some(Address::Unix(UnixPath::from_node(&format!("\0{name}"))));
        server.listen = Some(4);
        let _listener = socket_in(Some(a.as_fd()), &server).unwrap();
        // The same name is free in b, and taken in a.
        let _other = socket_in(Some(b.as_fd()), &server).unwrap();
        let e = socket_in(Some(a.as_fd()), &server).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EADDRINUSE));

        let mut client = SocketSpec::new(Family::Unix, Kind::Stream);
        client.connect_unix = Some(UnixPath::Abstract(name.clone().into_bytes()));
        socket_in(Some(a.as_fd()), &client).unwrap();
        let here = socket_in(None, &client).unwrap_err();
        assert_eq!(here.errno(), Some(Errno::ECONNREFUSED));
        assert!(matches!(here, Error::Sys { syscall: "connect", .. }));
    }
}
