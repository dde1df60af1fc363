//! Switching the calling thread between network namespaces, with a guaranteed way back.

use std::cell::Cell;
use std::os::fd::{AsRawFd, BorrowedFd, RawFd};

use nix::errno::Errno;
use nix::sched::CloneFlags;

use crate::error::{Error, Result, Subject};
use crate::home::{self, WayBack};
use crate::nsfile::{Identity, NetNs};
use crate::thread::gettid;

/// Moves the calling thread into the namespace behind `fd` (`setns(2)`).
///
/// `nstype` is `0` (any type) or a `CLONE_NEW*` flag the namespace must match.
pub fn setns(fd: BorrowedFd<'_>, nstype: i32) -> Result<()> {
    nix::sched::setns(fd, CloneFlags::from_bits_retain(nstype))
        .map_err(|e| Error::sys(e, "setns", Subject::Fd(fd.as_raw_fd())))
}

/// Moves the calling thread into the network namespace behind `target` unless it is there
/// already, and returns whether it moved.
///
/// `setns(2)` into the thread's own namespace changes nothing, yet needs `CAP_SYS_ADMIN` like any
/// other: when it is refused (`EPERM`) and `target` is the namespace the thread is in, nothing
/// had to be done, so a process without the capability can still act in its own namespace. The
/// identities are compared only after a refusal: the usual path costs nothing more.
pub fn enter_net(target: BorrowedFd<'_>) -> Result<bool> {
    match setns(target, libc::CLONE_NEWNET) {
        Ok(()) => Ok(true),
        Err(e) if e.errno() == Some(Errno::EPERM) && is_current(target) => Ok(false),
        Err(e) => Err(e),
    }
}

/// Whether `target` is the calling thread's network namespace (false if either is unknown).
fn is_current(target: BorrowedFd<'_>) -> bool {
    match (Identity::of(target), NetNs::current().and_then(|ns| ns.identity())) {
        (Ok(target), Ok(here)) => target == here,
        _ => false,
    }
}

/// The calling thread, switched into another network namespace until this guard drops.
///
/// Dropping the guard switches the thread back to the namespace it was in, also on an early
/// return or an unwinding panic. The way back is a private fd (the thread's cached namespace fd,
/// see `home.rs`, or one opened for a nested switch), checked by identity before it is used: if
/// that fd was closed or now names another namespace (code that closed fds it did not own), or
/// the switch back fails, the thread would be in a namespace nobody chose, and the process is
/// stopped with a message rather than let it go on there. A guard for the namespace the thread is in
/// already, made without `CAP_SYS_ADMIN`, switches nothing either way ([`enter_net`]).
#[must_use = "the thread switches back when the guard drops"]
#[derive(Debug)]
pub struct NsGuard {
    host: WayBack,
    host_id: Identity,
    outermost: bool,
    switched: bool,
}

thread_local! {
    /// The way back of the calling thread's outermost guard (fd and identity), if one is active.
    static OUTERMOST: Cell<Option<(RawFd, Identity)>> = const { Cell::new(None) };
}

impl NsGuard {
    /// Switches the calling thread into `target`, remembering where it was.
    pub fn enter(target: BorrowedFd<'_>) -> Result<NsGuard> {
        NsGuard::switch(|| enter_net(target))
    }

    /// Moves the calling thread into a new network namespace (`unshare(2)` with
    /// `CLONE_NEWNET`), remembering where it was: the new namespace lives while the thread is
    /// in it, and after the guard drops only if something holds it (an open fd, a bind mount).
    pub fn unshare() -> Result<NsGuard> {
        NsGuard::switch(|| {
            nix::sched::unshare(nix::sched::CloneFlags::CLONE_NEWNET)
                .map(|()| true)
                .map_err(|e| Error::sys(e, "unshare", Subject::None))
        })
    }

    /// Takes the way back, then runs `move_thread` (which says whether the thread moved); a
    /// failure leaves the thread where it was.
    fn switch(move_thread: impl FnOnce() -> Result<bool>) -> Result<NsGuard> {
        let free = OUTERMOST.with(|o| o.get().is_none());
        let (host, host_id) = home::way_back(free)?;
        let switched = move_thread()?;
        // A guard that did not switch has no way back to keep: the thread never left.
        let outermost = switched && free;
        if outermost {
            OUTERMOST.with(|o| o.set(Some((host.as_fd().as_raw_fd(), host_id))));
        }
        Ok(NsGuard { host, host_id, outermost, switched })
    }

    /// The namespace the thread was in before, open for as long as the guard lives.
    pub fn host(&self) -> BorrowedFd<'_> {
        self.host.as_fd()
    }

    /// A close-on-exec duplicate of [`NsGuard::host`] to hand to code the guard cannot trust
    /// with its own fd: whatever is done to the duplicate, the way back stays intact.
    pub fn lend_host(&self) -> Result<LentFd> {
        let fd = self.host.as_fd();
        let dup = nix::fcntl::fcntl(fd, nix::fcntl::FcntlArg::F_DUPFD_CLOEXEC(0))
            .map_err(|e| Error::sys(e, "fcntl", Subject::Fd(fd.as_raw_fd())))?;
        Ok(LentFd { fd: dup, id: self.host_id })
    }
}

impl Drop for NsGuard {
    fn drop(&mut self) {
        if !self.switched {
            return;
        }
        if self.outermost {
            OUTERMOST.with(|o| o.set(None));
        }
        if identity_of_raw(self.host.as_fd().as_raw_fd()) != Some(self.host_id) {
            fail_stop(&format!(
                "the fd that held its namespace ({}) was closed or replaced while it was switched",
                self.host.as_fd().as_raw_fd()
            ));
        }
        if let Err(e) = setns(self.host.as_fd(), libc::CLONE_NEWNET) {
            fail_stop(&e.to_string());
        }
    }
}

/// Forgets the calling thread's cached namespace fd after the thread moved for good (the raw
/// [`setns`]), so the cache does not keep the namespace it left alive. While a guard of the
/// thread is active the cache is its way back and stays; the next outermost switch replaces it.
pub fn forget_home() {
    if OUTERMOST.with(|o| o.get().is_none()) {
        home::forget();
    }
}

/// Switches the calling thread back to where its outermost active [`NsGuard`] found it, ahead
/// of the guard's own drop: for code that must run in the thread's own namespace although the
/// stack will never unwind (the `'exit'` handlers of a process that exits inside a callback).
/// Returns whether a guard was active. The guard still switches back when it drops.
pub fn restore_outermost() -> Result<bool> {
    let Some((fd, id)) = OUTERMOST.with(|o| o.get()) else {
        return Ok(false);
    };
    if identity_of_raw(fd) != Some(id) {
        fail_stop(&format!("the fd that held its namespace ({fd}) was closed or replaced while it was switched"));
    }
    // SAFETY: the outermost guard holds `fd` open until it drops, which clears OUTERMOST first.
    setns(unsafe { BorrowedFd::borrow_raw(fd) }, libc::CLONE_NEWNET)?;
    Ok(true)
}

/// A duplicate of a namespace fd lent out by [`NsGuard::lend_host`]. Its borrower may close it
/// (and the number may then be reused by a file of someone else), so it is not closed on drop:
/// [`LentFd::reclaim`] closes it only if it still names the same namespace.
#[derive(Debug)]
#[must_use = "reclaim() closes the lent fd"]
pub struct LentFd {
    fd: RawFd,
    id: Identity,
}

impl LentFd {
    /// The fd number, valid until the borrower closes it or [`LentFd::reclaim`] runs.
    pub fn as_raw_fd(&self) -> RawFd {
        self.fd
    }

    /// Closes the duplicate unless its borrower closed it already: a number that now names
    /// something else (or nothing) belongs to someone else and is left alone.
    pub fn reclaim(self) {
        if identity_of_raw(self.fd) == Some(self.id) {
            let _ = nix::unistd::close(self.fd);
        }
    }
}

/// The identity behind a raw fd number that may have been closed behind our back (`fstat(2)`);
/// `None` if it is not open.
pub fn identity_of_raw(fd: RawFd) -> Option<Identity> {
    let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
    // SAFETY: fstat only writes the stat buffer; a closed fd is EBADF, nothing else happens.
    if unsafe { libc::fstat(fd, st.as_mut_ptr()) } != 0 {
        return None;
    }
    // SAFETY: fstat succeeded, so it filled the buffer.
    let st = unsafe { st.assume_init() };
    #[allow(clippy::unnecessary_cast)]
    Some(Identity { dev: st.st_dev as u64, ino: st.st_ino as u64 })
}

/// Stops the process: a thread that cannot get back to its namespace must not run on.
fn fail_stop(why: &str) -> ! {
    eprintln!(
        "netns: FATAL: thread {} could not switch back to its original network namespace: {why}. \
         It is now in a namespace nobody chose; stopping the process instead of going on there.",
        gettid()
    );
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testutil::{unshared_netns, without_sys_admin};
    use std::os::fd::AsFd;

    #[test]
    fn guard_enters_and_restores() {
        let before = NetNs::current().unwrap().identity().unwrap();
        let target = unshared_netns();
        {
            let guard = NsGuard::enter(target.as_fd()).unwrap();
            let inside = NetNs::current().unwrap().identity().unwrap();
            assert_eq!(inside, target.identity().unwrap());
            assert_eq!(Identity::of(guard.host()).unwrap(), before);
        }
        assert_eq!(NetNs::current().unwrap().identity().unwrap(), before);
    }

    #[test]
    fn guard_restores_after_a_panic() {
        let target = unshared_netns();
        let before = NetNs::current().unwrap().identity().unwrap();
        let r = std::panic::catch_unwind(|| {
            let _guard = NsGuard::enter(target.as_fd()).unwrap();
            panic!("inside");
        });
        assert!(r.is_err());
        assert_eq!(NetNs::current().unwrap().identity().unwrap(), before);
    }

    #[test]
    fn without_cap_sys_admin_a_guard_for_the_own_namespace_switches_nothing_and_another_is_eperm() {
        let other = unshared_netns();
        let here = NetNs::current().unwrap().identity().unwrap();
        let (own, refused, after) = without_sys_admin(move || {
            let current = NetNs::current().unwrap();
            // The bare system call is refused even for the thread's own namespace.
            assert_eq!(setns(current.as_fd(), libc::CLONE_NEWNET).unwrap_err().errno(), Some(Errno::EPERM));
            let own = {
                let guard = NsGuard::enter(current.as_fd()).unwrap();
                assert!(!restore_outermost().unwrap(), "nothing to restore");
                (Identity::of(guard.host()).unwrap(), NetNs::current().unwrap().identity().unwrap())
            };
            let refused = NsGuard::enter(other.as_fd()).unwrap_err();
            (own, refused, NetNs::current().unwrap().identity().unwrap())
        });
        assert_eq!(own, (here, here));
        assert_eq!(refused.errno(), Some(Errno::EPERM));
        assert_eq!(refused.missing_capability().map(|n| n.capability), Some(crate::CAP_SYS_ADMIN));
        assert_eq!(after, here);
    }

    #[test]
    fn setns_into_a_mount_namespace_as_net_is_einval() {
        let mnt = nix::fcntl::open(
            "/proc/thread-self/ns/mnt",
            nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC,
            nix::sys::stat::Mode::empty(),
        )
        .unwrap();
        let e = NsGuard::enter(mnt.as_fd()).unwrap_err();
        assert_eq!(e.errno(), Some(nix::errno::Errno::EINVAL));
    }

    #[test]
    fn restore_outermost_goes_back_to_where_the_first_guard_started() {
        let before = NetNs::current().unwrap().identity().unwrap();
        let (a, b) = (unshared_netns(), unshared_netns());
        assert!(!restore_outermost().unwrap());
        {
            let _outer = NsGuard::enter(a.as_fd()).unwrap();
            let _inner = NsGuard::enter(b.as_fd()).unwrap();
            assert!(restore_outermost().unwrap());
            assert_eq!(NetNs::current().unwrap().identity().unwrap(), before);
        }
        assert_eq!(NetNs::current().unwrap().identity().unwrap(), before);
        assert!(!restore_outermost().unwrap());
    }

    #[test]
    fn a_lent_fd_is_the_host_and_reclaim_spares_a_number_reused_by_someone_else() {
        let target = unshared_netns();
        let guard = NsGuard::enter(target.as_fd()).unwrap();
        let lent = guard.lend_host().unwrap();
        assert_ne!(lent.as_raw_fd(), guard.host().as_raw_fd());
        // The borrower's number now names a file of someone else (as after close + open).
        let other = nix::fcntl::open("/proc/self/stat", nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC, nix::sys::stat::Mode::empty()).unwrap();
        let n = lent.as_raw_fd();
        // SAFETY: n is the lent duplicate, ours to replace.
        assert_eq!(unsafe { libc::dup2(other.as_raw_fd(), n) }, n);
        let replaced = identity_of_raw(n);
        lent.reclaim();
        assert!(replaced.is_some());
        assert_eq!(identity_of_raw(n), replaced, "reclaim closed a file it did not own");
        nix::unistd::close(n).unwrap();
        drop(guard);
    }
}
