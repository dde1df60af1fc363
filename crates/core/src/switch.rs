//! Switching the calling thread between network namespaces, with a guaranteed way back.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd};

use nix::sched::CloneFlags;

use crate::error::{Error, Result, Subject};
use crate::nsfile::NetNs;
use crate::thread::gettid;

/// Moves the calling thread into the namespace behind `fd` (`setns(2)`).
///
/// `nstype` is `0` (any type) or a `CLONE_NEW*` flag the namespace must match.
pub fn setns(fd: BorrowedFd<'_>, nstype: i32) -> Result<()> {
    nix::sched::setns(fd, CloneFlags::from_bits_retain(nstype))
        .map_err(|e| Error::sys(e, "setns", Subject::Fd(fd.as_raw_fd())))
}

/// The calling thread, switched into another network namespace until this guard drops.
///
/// Dropping the guard switches the thread back to the namespace it was in, also on an early
/// return or an unwinding panic. If that fails the thread is in a namespace nobody chose, and
/// the process is stopped with a message rather than let it go on there.
#[must_use = "the thread switches back when the guard drops"]
#[derive(Debug)]
pub struct NsGuard {
    host: NetNs,
}

impl NsGuard {
    /// Switches the calling thread into `target`, remembering where it was.
    pub fn enter(target: BorrowedFd<'_>) -> Result<NsGuard> {
        let host = NetNs::current()?;
        setns(target, libc::CLONE_NEWNET)?;
        Ok(NsGuard { host })
    }

    /// The namespace the thread was in before, open for as long as the guard lives.
    pub fn host(&self) -> BorrowedFd<'_> {
        self.host.as_fd()
    }
}

impl Drop for NsGuard {
    fn drop(&mut self) {
        if let Err(e) = setns(self.host.as_fd(), libc::CLONE_NEWNET) {
            fail_stop(&e);
        }
    }
}

/// Stops the process: a thread that cannot get back to its namespace must not run on.
fn fail_stop(e: &Error) -> ! {
    eprintln!(
        "netns: FATAL: thread {} could not switch back to its original network namespace: {e}. \
         It is now in a namespace nobody chose; stopping the process instead of going on there.",
        gettid()
    );
    std::process::abort()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nsfile::Identity;

    fn unshared_netns() -> NetNs {
        // A namespace made on a thread of its own, which then ends: no test thread changes.
        std::thread::spawn(|| {
            nix::sched::unshare(CloneFlags::CLONE_NEWNET).expect("unshare needs root");
            NetNs::current().unwrap()
        })
        .join()
        .unwrap()
    }

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
}
