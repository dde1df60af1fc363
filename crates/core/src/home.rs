//! The calling thread's own network namespace, kept open between switches: the way back of
//! [`crate::NsGuard`] without an `open(2)` of `/proc/thread-self/ns/net` per switch.
//!
//! Each thread that switches keeps two fds: its `/proc/thread-self/ns/net` link itself (opened
//! `O_PATH | O_NOFOLLOW`) and, once it has switched from there, a namespace fd of where it was.
//! Before a cached fd is used as the way back it is checked twice, both without a path walk:
//! the thread must still be in that namespace (`readlinkat(2)` of the link fd with an empty
//! path gives the thread's `net:[inode]` of the moment, compared with the cached inode), and the
//! fd must still be that namespace (`fstat(2)`), since code that closes fds it does not own may
//! have closed or replaced it. The cached fd keeps its namespace alive, so its inode cannot be
//! reused by another: equal inodes are the same namespace. A thread moved by anyone (this
//! package's `setns`, another library, another addon) fails the first check and opens its
//! namespace again. After a `fork(2)` the child's threads are new
//! threads: a fork counter (bumped by a `pthread_atfork` child handler) retires the copies.
//!
//! The cache is replaced only by the outermost switch of a thread, never while a guard is
//! using it as its way back.

use std::cell::RefCell;
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd, RawFd};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Once;

use nix::fcntl::{open, OFlag};
use nix::sys::stat::Mode;

use crate::error::{Error, Result, Subject};
use crate::nsfile::{Identity, NetNs};
use crate::switch::identity_of_raw;
use crate::thread::THREAD_SELF_NS_NET;

/// Bumped in every child of a `fork(2)`: a cache made before the fork names the parent's thread.
static FORKS: AtomicU64 = AtomicU64::new(0);
static AT_FORK: Once = Once::new();

extern "C" fn forked_child() {
    FORKS.fetch_add(1, Ordering::Relaxed);
}

/// One thread's cache.
struct Home {
    /// `/proc/thread-self/ns/net` as it resolved on this thread: the link, not its target.
    link: OwnedFd,
    /// [`FORKS`] when `link` was opened.
    forks: u64,
    /// Where the thread was when it last switched from its own namespace.
    net: Option<Cached>,
}

struct Cached {
    fd: RawFd,
    id: Identity,
    /// `net:[<inode>]`, as `readlinkat` of the thread's link gives it while the thread is there.
    link: Box<[u8]>,
}

impl Cached {
    /// Closes the fd unless its number now names something else, or an fd of the same
    /// namespace that someone else opened after closing ours (it lacks the `O_NONBLOCK` mark
    /// the cache opens with, which nothing else gives a namespace file): that one belongs to
    /// its new owner.
    fn release(self) {
        if identity_of_raw(self.fd) == Some(self.id) && marked(self.fd) {
            let _ = nix::unistd::close(self.fd);
        }
    }
}

/// Whether `fd` carries the cache's mark (`O_NONBLOCK`, which `setns(2)` ignores).
fn marked(fd: RawFd) -> bool {
    // SAFETY: F_GETFL only reads the open file's status flags.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    flags >= 0 && flags & libc::O_NONBLOCK != 0
}

impl Drop for Home {
    fn drop(&mut self) {
        if let Some(net) = self.net.take() {
            net.release();
        }
    }
}

thread_local! {
    static HOME: RefCell<Option<Home>> = const { RefCell::new(None) };
}

/// The way back of a switch: the thread's cached namespace fd, or one opened for this switch
/// alone (a nested switch, which starts outside the thread's own namespace).
#[derive(Debug)]
pub(crate) enum WayBack {
    /// The cached fd: it stays open while any guard of this thread lives.
    Cached(RawFd),
    /// An fd opened for this switch, closed with it.
    Owned(NetNs),
}

impl WayBack {
    pub(crate) fn as_fd(&self) -> BorrowedFd<'_> {
        match self {
            // SAFETY: the cached fd is closed only by the outermost switch of this thread, or
            // by `forget` with no switch active, never while a guard holds this value.
            WayBack::Cached(fd) => unsafe { BorrowedFd::borrow_raw(*fd) },
            WayBack::Owned(ns) => ns.as_fd(),
        }
    }
}

/// The calling thread's current namespace as a way back, and its identity. `outermost`: no
/// switch of this thread is active, so the cache may be replaced when it is stale.
pub(crate) fn way_back(outermost: bool) -> Result<(WayBack, Identity)> {
    HOME.with_borrow_mut(|home| {
        let forks = FORKS.load(Ordering::Relaxed);
        if home.as_ref().is_some_and(|h| h.forks != forks) {
            // The parent's thread's link and fd, copied by fork: not ours to keep using, and not
            // ours to close either: a child that closed its inherited fds (the rootless helper
            // keeps only its channel) may have those numbers in use for fds of its own. Left.
            std::mem::forget(home.take());
        }
        if home.is_none() {
            AT_FORK.call_once(|| {
                // SAFETY: registers a handler that only bumps an atomic counter.
                unsafe { libc::pthread_atfork(None, None, Some(forked_child)) };
            });
            let link = open(THREAD_SELF_NS_NET, OFlag::O_PATH | OFlag::O_NOFOLLOW | OFlag::O_CLOEXEC, Mode::empty())
                .map_err(|e| Error::sys(e, "open", Subject::Path(THREAD_SELF_NS_NET.into())))?;
            *home = Some(Home { link, forks, net: None });
        }
        let home = home.as_mut().expect("made above");
        if let Some(net) = &home.net {
            if still_home(home.link.as_fd(), net) {
                return Ok((WayBack::Cached(net.fd), net.id));
            }
        }
        if outermost {
            // Before the new fd is opened: it may get the number of an old one closed behind
            // our back, which must then not be taken for the old one.
            if let Some(old) = home.net.take() {
                old.release();
            }
        }
        // The cached fd carries a mark (see `Cached::release`); a nested switch's needs none.
        let mark = if outermost { OFlag::O_NONBLOCK } else { OFlag::empty() };
        let fresh = open(THREAD_SELF_NS_NET, OFlag::O_RDONLY | OFlag::O_CLOEXEC | mark, Mode::empty())
            .map_err(|e| Error::sys(e, "open", Subject::Path(THREAD_SELF_NS_NET.into())))?;
        let ns = NetNs::from_owned(fresh);
        let id = ns.identity()?;
        if !outermost {
            return Ok((WayBack::Owned(ns), id));
        }
        let fd = ns.into_raw_fd();
        let link = format!("net:[{}]", id.ino).into_bytes().into_boxed_slice();
        home.net = Some(Cached { fd, id, link });
        Ok((WayBack::Cached(fd), id))
    })
}

/// Whether the thread is still in the cached namespace and the cached fd still names it.
fn still_home(link: BorrowedFd<'_>, net: &Cached) -> bool {
    let mut buf = [0u8; 32];
    // SAFETY: readlinkat writes at most buf.len() bytes into buf; the empty path names `link`.
    let n = unsafe { libc::readlinkat(link.as_raw_fd(), c"".as_ptr(), buf.as_mut_ptr().cast(), buf.len()) };
    usize::try_from(n).is_ok_and(|n| buf[..n] == *net.link) && identity_of_raw(net.fd) == Some(net.id)
}

/// Drops the calling thread's cached namespace fd. Only with no switch of the thread active
/// (the caller checks): a guard may be using it as its way back.
pub(crate) fn forget() {
    let net = HOME.with_borrow_mut(|home| home.as_mut().and_then(|h| h.net.take()));
    if let Some(net) = net {
        net.release();
    }
}

/// The cached namespace fd of the calling thread, if it has one (for tests and counts of fds).
pub fn cached_home_fd() -> Option<RawFd> {
    HOME.with_borrow(|home| home.as_ref().and_then(|h| h.net.as_ref().map(|n| n.fd)))
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;
    use crate::switch::{forget_home, setns, NsGuard};
    use crate::testutil::unshared_netns;

    fn current() -> Identity {
        NetNs::current().unwrap().identity().unwrap()
    }

    /// Each test runs on a fresh thread: the cache is per thread, and tests run in parallel.
    fn on_thread(f: impl FnOnce() + Send + 'static) {
        std::thread::spawn(f).join().unwrap();
    }

    #[test]
    fn the_way_back_is_opened_once_per_thread() {
        on_thread(|| {
            let target = unshared_netns();
            assert_eq!(cached_home_fd(), None);
            drop(NsGuard::enter(target.as_fd()).unwrap());
            let cached = cached_home_fd().expect("the first switch caches the way back");
            for _ in 0..3 {
                let guard = NsGuard::enter(target.as_fd()).unwrap();
                assert_eq!(guard.host().as_raw_fd(), cached);
            }
            assert_eq!(cached_home_fd(), Some(cached));
        });
    }

    #[test]
    fn a_thread_moved_by_someone_else_goes_back_where_it_was_not_to_the_cache() {
        on_thread(|| {
            let (a, b) = (unshared_netns(), unshared_netns());
            drop(NsGuard::enter(a.as_fd()).unwrap());
            // A raw setns of another library: the package's cache does not hear of it.
            nix::sched::setns(b.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            drop(NsGuard::enter(a.as_fd()).unwrap());
            assert_eq!(current(), b.identity().unwrap());
        });
    }

    #[test]
    fn a_cached_fd_closed_behind_its_back_is_reopened_and_the_new_owner_keeps_its_number() {
        on_thread(|| {
            let target = unshared_netns();
            let home = current();
            drop(NsGuard::enter(target.as_fd()).unwrap());
            let n = cached_home_fd().unwrap();
            // Someone closes the number and opens a file of their own there.
            let other = nix::fcntl::open("/proc/self/stat", OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
            // SAFETY: n is the cache's fd; replacing it is the point of the test.
            assert_eq!(unsafe { libc::dup2(other.as_raw_fd(), n) }, n);
            let theirs = identity_of_raw(n);
            drop(NsGuard::enter(target.as_fd()).unwrap());
            assert_eq!(current(), home);
            assert_eq!(identity_of_raw(n), theirs, "their file is still open at their number");
            assert_ne!(cached_home_fd(), Some(n));
            nix::unistd::close(n).unwrap();
        });
    }

    #[test]
    fn an_fd_of_the_same_namespace_opened_in_place_of_the_cached_one_is_left_to_its_owner() {
        on_thread(|| {
            let target = unshared_netns();
            drop(NsGuard::enter(target.as_fd()).unwrap());
            let n = cached_home_fd().unwrap();
            // Someone closes the number and opens the same namespace there (getCurrentNS()).
            let theirs = NetNs::current().unwrap();
            // SAFETY: n is the cache's fd; replacing it is the point of the test.
            assert_eq!(unsafe { libc::dup2(theirs.as_fd().as_raw_fd(), n) }, n);
            let home = current();
            nix::sched::setns(target.as_fd(), nix::sched::CloneFlags::CLONE_NEWNET).unwrap();
            forget_home();
            assert_eq!(identity_of_raw(n), Some(home), "their fd stays open");
            nix::unistd::close(n).unwrap();
        });
    }

    #[test]
    fn a_nested_switch_keeps_the_outer_way_back_and_forget_waits_for_the_outermost() {
        on_thread(|| {
            let (a, b) = (unshared_netns(), unshared_netns());
            let home = current();
            let outer = NsGuard::enter(a.as_fd()).unwrap();
            let cached = cached_home_fd().unwrap();
            {
                let inner = NsGuard::enter(b.as_fd()).unwrap();
                assert_ne!(inner.host().as_raw_fd(), cached, "the inner way back is a's, opened for it");
                forget_home();
                assert_eq!(cached_home_fd(), Some(cached), "in use by the outer guard");
            }
            assert_eq!(current(), a.identity().unwrap());
            drop(outer);
            assert_eq!(current(), home);
            setns(b.as_fd(), libc::CLONE_NEWNET).unwrap();
            forget_home();
            assert_eq!(cached_home_fd(), None, "a thread that moved for good keeps no fd of where it was");
        });
    }

    #[test]
    fn unshare_guard_makes_a_new_namespace_and_comes_back() {
        on_thread(|| {
            let home = current();
            let made = {
                let _guard = NsGuard::unshare().unwrap();
                current()
            };
            assert_ne!(made, home);
            assert_eq!(current(), home);
        });
    }
}
