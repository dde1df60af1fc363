//! Namespace files: validating a path, opening it, and its identity.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, IntoRawFd, OwnedFd, RawFd};
use std::path::Path;

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::sys::stat::{fstat, Mode};
use nix::sys::statfs::statfs;

use crate::error::{Error, Result, Subject};
use crate::thread::THREAD_SELF_NS_NET;
use crate::CLONE_NEWNET;

/// The magic number of nsfs, where `/proc/*/ns/*` links and bind-mounted namespaces live.
pub const NSFS_MAGIC: i64 = 0x6e73_6673;
/// The magic number of procfs (namespace files on kernels before nsfs).
pub const PROCFS_MAGIC: i64 = 0x9fa0;

nix::ioctl_none!(ns_get_nstype, 0xb7, 0x3);

/// Checks that `path` exists and lies on nsfs or procfs, as the Go `ns.IsNSorErr` does.
///
/// `statfs(2)` cannot tell a network namespace from another type; [`NetNs::open`] can.
pub fn is_ns_or_err(path: &Path) -> Result<()> {
    let st = statfs(path).map_err(|errno| match errno {
        Errno::ENOENT => Error::PathNotExist { path: path.into() },
        errno => Error::sys(errno, "statfs", Subject::Path(path.into())),
    })?;
    #[allow(clippy::unnecessary_cast)]
    let fs_type = st.filesystem_type().0 as i64;
    if fs_type == NSFS_MAGIC || fs_type == PROCFS_MAGIC {
        Ok(())
    } else {
        Err(Error::PathNotNs { path: path.into(), fs_type })
    }
}

/// Where a namespace is in the kernel: the device and inode of its nsfs file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Identity {
    /// The device number of nsfs.
    pub dev: u64,
    /// The inode number, unique per namespace while it lives.
    pub ino: u64,
}

impl Identity {
    /// The identity of the namespace behind `fd` (`fstat(2)`).
    pub fn of(fd: BorrowedFd<'_>) -> Result<Identity> {
        let st = fstat(fd).map_err(|e| Error::sys(e, "fstat", Subject::Fd(fd.as_raw_fd())))?;
        #[allow(clippy::unnecessary_cast)]
        Ok(Identity { dev: st.st_dev as u64, ino: st.st_ino as u64 })
    }
}

/// An open network namespace file (`O_RDONLY | O_CLOEXEC`), closed on drop.
#[derive(Debug)]
pub struct NetNs {
    fd: OwnedFd,
}

impl NetNs {
    /// Opens the network namespace at `path` after checking that it is one.
    ///
    /// A missing path is [`Error::PathNotExist`], a file that is no namespace is
    /// [`Error::PathNotNs`], a namespace of another type (a mount namespace, say) is
    /// [`Error::WrongType`].
    pub fn open(path: &Path) -> Result<NetNs> {
        is_ns_or_err(path)?;
        let fd = open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).map_err(|errno| match errno {
            Errno::ENOENT => Error::PathNotExist { path: path.into() },
            errno => Error::sys(errno, "open", Subject::Path(path.into())),
        })?;
        // SAFETY: the ioctl takes no argument and only reads the fd's namespace type.
        match unsafe { ns_get_nstype(fd.as_raw_fd()) } {
            Ok(CLONE_NEWNET) => Ok(NetNs { fd }),
            Ok(nstype) => Err(Error::WrongType { path: path.into(), nstype }),
            // ENOTTY: a regular procfs file, not a namespace at all.
            Err(Errno::ENOTTY) => Err(Error::PathNotNs { path: path.into(), fs_type: PROCFS_MAGIC }),
            Err(errno) => Err(Error::sys(errno, "ioctl", Subject::Path(path.into()))),
        }
    }

    /// Opens the calling thread's network namespace.
    pub fn current() -> Result<NetNs> {
        let path = Path::new(THREAD_SELF_NS_NET);
        open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
            .map(|fd| NetNs { fd })
            .map_err(|e| Error::sys(e, "open", Subject::Path(path.into())))
    }

    /// Takes ownership of an fd that is known to be a network namespace.
    pub fn from_owned(fd: OwnedFd) -> NetNs {
        NetNs { fd }
    }

    /// The namespace's identity.
    pub fn identity(&self) -> Result<Identity> {
        Identity::of(self.fd.as_fd())
    }

    /// Gives up ownership of the fd; the caller must close it.
    pub fn into_raw_fd(self) -> RawFd {
        self.fd.into_raw_fd()
    }
}

impl AsFd for NetNs {
    fn as_fd(&self) -> BorrowedFd<'_> {
        self.fd.as_fd()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::fcntl::{fcntl, FcntlArg, FdFlag};

    #[test]
    fn current_namespace_opens_close_on_exec_and_matches_proc() {
        let ns = NetNs::open(Path::new(THREAD_SELF_NS_NET)).unwrap();
        let flags = FdFlag::from_bits_truncate(fcntl(ns.as_fd(), FcntlArg::F_GETFD).unwrap());
        assert!(flags.contains(FdFlag::FD_CLOEXEC));
        let st = nix::sys::stat::stat(THREAD_SELF_NS_NET).unwrap();
        assert_eq!(ns.identity().unwrap().ino, st.st_ino as u64);
        assert_eq!(NetNs::current().unwrap().identity().unwrap(), ns.identity().unwrap());
    }

    #[test]
    fn missing_path_is_not_exist() {
        let p = Path::new("/nonexistent/netns-core-test");
        assert_eq!(is_ns_or_err(p), Err(Error::PathNotExist { path: p.into() }));
        assert!(matches!(NetNs::open(p), Err(Error::PathNotExist { .. })));
    }

    #[test]
    fn regular_file_is_not_a_namespace() {
        assert!(matches!(NetNs::open(Path::new("/etc/hostname")), Err(Error::PathNotNs { .. })));
        assert!(matches!(NetNs::open(Path::new("/proc/self/status")), Err(Error::PathNotNs { .. })));
    }

    #[test]
    fn mount_namespace_is_the_wrong_type() {
        let e = NetNs::open(Path::new("/proc/thread-self/ns/mnt")).unwrap_err();
        assert_eq!(
            e,
            Error::WrongType { path: "/proc/thread-self/ns/mnt".into(), nstype: libc::CLONE_NEWNS }
        );
    }
}
