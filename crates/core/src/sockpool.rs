//! Spare sockets of one network namespace, made ahead in the same switch as a socket that was
//! needed, so that most sockets of a namespace cost no switch at all.
//!
//! A socket belongs for life to the namespace it was created in, and everything done to it later
//! (`setsockopt(2)`, `bind(2)`, `listen(2)`, `connect(2)`) acts in that namespace, from whatever
//! namespace the calling thread is in. So only `socket(2)` needs the switch: from the second
//! socket of a (family, kind) on, the pool makes `1 + size` plain sockets (close-on-exec,
//! non-blocking, unbound, no option set) in one enter/leave, hands one out, and keeps the others
//! for the next calls, which then apply their options and bind outside any switch. The first
//! socket of each kind is made alone: a handle that makes one listening socket keeps no spares.
//!
//! A namespace of the rootless helper refills by a round trip to the helper (tens of µs, where a
//! switch costs a few), so its pool keeps [`ROOTLESS_FACTOR`] times `size` spares (at most
//! [`SOCKET_POOL_MAX`]) and fetches them in one trip.

use std::collections::{HashMap, HashSet};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;

use crate::error::{Error, Result, Subject};
use crate::nsfile::Identity;
use crate::socket::{make_socket, set_up, Family, Kind, SocketSpec};
use crate::switch::NsGuard;

/// How many times `size` spares a pool of a rootless namespace keeps (see the module comment).
pub const ROOTLESS_FACTOR: usize = 4;

/// The most spare sockets a pool keeps per (family, kind).
pub const SOCKET_POOL_MAX: usize = 64;

/// Spare sockets of one network namespace, per (family, kind). Dropping the pool (or
/// [`SocketPool::clear`]) closes every spare, so that the pool keeps the namespace alive no
/// longer than its owner does.
#[derive(Debug)]
pub struct SocketPool {
    ns: Identity,
    spares: HashMap<(Family, Kind), Vec<OwnedFd>>,
    seen: HashSet<(Family, Kind)>,
    /// A namespace of the rootless helper: its sockets are made there, the rest is done here.
    rootless: bool,
}

/// `count` plain sockets (at least one) of `family` and `kind` made in `ns` in one switch: the
/// first must be made; spares that cannot be (`EMFILE`, `ENOBUFS`) are not an error, only fewer.
pub(crate) fn make_batch(ns: BorrowedFd<'_>, family: Family, kind: Kind, count: usize) -> Result<Vec<OwnedFd>> {
    let _guard = NsGuard::enter(ns)?;
    let mut made = vec![make_socket(family, kind)?];
    made.extend((1..count).map_while(|_| make_socket(family, kind).ok()));
    Ok(made)
}

impl SocketPool {
    /// An empty pool for the namespace behind `ns`; every later call must pass the same namespace.
    pub fn new(ns: BorrowedFd<'_>) -> Result<SocketPool> {
        let rootless = crate::rootless::owns(ns);
        Ok(SocketPool { ns: Identity::of(ns)?, spares: HashMap::new(), seen: HashSet::new(), rootless })
    }

    /// A socket made in the pool's namespace and set up as `spec` says, from the spares when
    /// there is one; otherwise one switch makes it, and, unless it is the first of its family
    /// and kind, `size` spares of that family and kind (`size` is clamped to
    /// [`SOCKET_POOL_MAX`]; 0: no spares, and any kept ones are closed).
    ///
    /// `ns` must be the namespace the pool was made for (`EINVAL` otherwise). On an error of the
    /// set-up the socket is closed, and so are the spares made with it; a spare it came from is
    /// gone (its options may have been changed).
    pub fn take(&mut self, ns: BorrowedFd<'_>, spec: &SocketSpec, size: usize) -> Result<OwnedFd> {
        if Identity::of(ns)? != self.ns {
            return Err(Error::sys(Errno::EINVAL, "setns", Subject::Fd(ns.as_raw_fd())));
        }
        let size = if self.rootless { size.saturating_mul(ROOTLESS_FACTOR) } else { size }.min(SOCKET_POOL_MAX);
        let spares = self.spares.entry((spec.family, spec.kind)).or_default();
        spares.truncate(size);
        if let Some(fd) = spares.pop() {
            set_up(fd.as_fd(), spec)?;
            return Ok(fd);
        }
        let size = if self.seen.insert((spec.family, spec.kind)) { 0 } else { size };
        let mut made = if self.rootless {
            crate::rootless::sockets(ns, spec.family, spec.kind, 1 + size)?
        } else {
            make_batch(ns, spec.family, spec.kind, 1 + size)?
        };
        let fd = made.remove(0);
        // Spares are kept only when the call they were made for succeeds: a failed call leaves no
        // fd behind that it made.
        set_up(fd.as_fd(), spec)?;
        spares.extend(made);
        Ok(fd)
    }

    /// How many spare sockets the pool holds, of every family and kind.
    pub fn spares(&self) -> usize {
        self.spares.values().map(Vec::len).sum()
    }

    /// Closes every spare socket; the next socket of each kind is again made alone.
    pub fn clear(&mut self) {
        self.spares.clear();
        self.seen.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nsfile::NetNs;
    use crate::socket::Address;
    use crate::testutil::{port_of, socket_ns_inode, unshared_netns};
    use std::net::{IpAddr, Ipv4Addr, SocketAddr};

    fn fd_flags(fd: BorrowedFd<'_>) -> (bool, bool) {
        let fd_flags = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFD).unwrap();
        let fl_flags = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_GETFL).unwrap();
        (fd_flags & libc::FD_CLOEXEC != 0, fl_flags & libc::O_NONBLOCK != 0)
    }

    #[test]
    fn spares_are_made_in_one_switch_and_live_in_the_target() {
        let target = unshared_netns();
        let home = NetNs::current().unwrap().identity().unwrap();
        let mut pool = SocketPool::new(target.as_fd()).unwrap();
        let spec = SocketSpec::new(Family::Inet, Kind::Stream);
        let first = pool.take(target.as_fd(), &spec, 3).unwrap();
        assert_eq!(pool.spares(), 0, "the first socket of a kind is made alone");
        let second = pool.take(target.as_fd(), &spec, 3).unwrap();
        assert_eq!(pool.spares(), 3);
        let mut all = vec![first, second];
        for left in (0..3).rev() {
            all.push(pool.take(target.as_fd(), &spec, 3).unwrap());
            assert_eq!(pool.spares(), left);
        }
        for fd in &all {
            assert_eq!(socket_ns_inode(fd.as_fd()), target.identity().unwrap().ino);
            assert_eq!(fd_flags(fd.as_fd()), (true, true));
        }
        assert_eq!(NetNs::current().unwrap().identity().unwrap(), home);
        // Another kind has spares of its own.
        let udp6 = SocketSpec::new(Family::Inet6, Kind::Datagram);
        pool.take(target.as_fd(), &udp6, 2).unwrap();
        pool.take(target.as_fd(), &udp6, 2).unwrap();
        assert_eq!(pool.spares(), 2);
        pool.clear();
        assert_eq!(pool.spares(), 0);
    }

    #[test]
    fn size_zero_keeps_nothing_and_a_smaller_size_closes_the_excess() {
        let target = unshared_netns();
        let mut pool = SocketPool::new(target.as_fd()).unwrap();
        let spec = SocketSpec::new(Family::Inet, Kind::Datagram);
        pool.take(target.as_fd(), &spec, 5).unwrap();
        pool.take(target.as_fd(), &spec, 5).unwrap();
        assert_eq!(pool.spares(), 5);
        pool.take(target.as_fd(), &spec, 2).unwrap();
        assert_eq!(pool.spares(), 1);
        pool.take(target.as_fd(), &spec, 0).unwrap();
        assert_eq!(pool.spares(), 0);
        pool.take(target.as_fd(), &spec, 1000).unwrap();
        assert_eq!(pool.spares(), SOCKET_POOL_MAX);
    }

    #[test]
    fn options_and_bind_act_in_the_socket_namespace_from_outside() {
        let target = unshared_netns();
        let mut pool = SocketPool::new(target.as_fd()).unwrap();
        let mut spec = SocketSpec::new(Family::Inet, Kind::Stream);
        pool.take(target.as_fd(), &spec, 2).unwrap();
        pool.take(target.as_fd(), &spec, 2).unwrap();
        // A port taken in the target is taken for a pooled socket bound from here, and free here.
        let mut listener = SocketSpec::new(Family::Inet, Kind::Stream);
        listener.bind = Some(Address::Ip(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), 0)));
        listener.listen = Some(1);
        let taken = pool.take(target.as_fd(), &listener, 2).unwrap();
        let port = port_of(taken.as_fd());
        spec.bind = Some(Address::Ip(SocketAddr::new(IpAddr::V4(Ipv4Addr::UNSPECIFIED), port)));
        assert_eq!(pool.spares(), 1);
        let e = pool.take(target.as_fd(), &spec, 2).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EADDRINUSE));
        let here = crate::socket::socket_in(None, &spec).unwrap();
        assert_eq!(port_of(here.as_fd()), port);
        // The failed socket was closed, not returned to the spares.
        assert_eq!(pool.spares(), 0);
        // A failed call that had to switch keeps none of the spares it made.
        let e = pool.take(target.as_fd(), &spec, 2).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EADDRINUSE));
        assert_eq!(pool.spares(), 0);
        // Device and mark, applied outside the switch, are the target's (its own lo).
        spec.bind = None;
        spec.device = Some("lo".into());
        spec.mark = Some(9);
        let fd = pool.take(target.as_fd(), &spec, 2).unwrap();
        assert_eq!(crate::mark::get_mark(fd.as_fd()).unwrap(), 9);
    }

    #[test]
    fn another_namespace_is_refused() {
        let target = unshared_netns();
        let other = unshared_netns();
        let mut pool = SocketPool::new(target.as_fd()).unwrap();
        let e = pool.take(other.as_fd(), &SocketSpec::new(Family::Inet, Kind::Stream), 2).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EINVAL));
        assert_eq!(pool.spares(), 0);
    }
}
