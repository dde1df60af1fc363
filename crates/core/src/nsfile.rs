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

/// The `CLONE_NEW*` flag of each namespace type, by the name procfs gives it (`net:[inode]`).
const NS_TYPE_NAMES: [(&str, i32); 8] = [
    ("net", libc::CLONE_NEWNET),
    ("mnt", libc::CLONE_NEWNS),
    ("uts", libc::CLONE_NEWUTS),
    ("ipc", libc::CLONE_NEWIPC),
    ("pid", libc::CLONE_NEWPID),
    ("user", libc::CLONE_NEWUSER),
    ("cgroup", libc::CLONE_NEWCGROUP),
    ("time", 0x80),
];

/// The namespace type of `fd` where `ioctl(NS_GET_NSTYPE)` is missing (ENOSYS under qemu-user,
/// ENOTTY before Linux 4.11).
///
/// A namespace file opened under `/proc/*/ns/` links, in `/proc/thread-self/fd/N`
/// (`readlink(2)`), to `TYPE:[INODE]`, with the fd's own inode: that names the type. A bind mount
/// of one (how `ip netns add` keeps namespaces) links to its mount path instead; then the kernel
/// decides, as it does for `setns(2)` itself: [`is_net_by_setns`] on a short-lived thread.
/// A namespace of another type is named by comparing it with the calling thread's own
/// namespaces (0 when it is none of them); anything that is no namespace is [`Error::PathNotNs`].
pub fn nstype_from_link(fd: BorrowedFd<'_>, path: &Path) -> Result<i32> {
    let link = format!("/proc/thread-self/fd/{}", fd.as_raw_fd());
    let target = nix::fcntl::readlink(link.as_str()).map_err(|e| Error::sys(e, "readlink", Subject::Path(link.into())))?;
    let not_ns = || Error::PathNotNs { path: path.into(), fs_type: PROCFS_MAGIC };
    let own = Identity::of(fd)?;
    if let Some((name, rest)) = target.to_str().and_then(|t| t.split_once(":[")) {
        let ino = rest.strip_suffix(']').and_then(|n| n.parse::<u64>().ok());
        if ino == Some(own.ino) {
            return NS_TYPE_NAMES.iter().find(|(n, _)| *n == name).map(|(_, t)| *t).ok_or_else(not_ns);
        }
    }
    let fs = nix::sys::statfs::fstatfs(fd).map_err(|e| Error::sys(e, "fstatfs", Subject::Fd(fd.as_raw_fd())))?;
    #[allow(clippy::unnecessary_cast)]
    if fs.filesystem_type().0 as i64 != NSFS_MAGIC {
        return Err(not_ns());
    }
    if is_net_by_setns(fd)? {
        return Ok(CLONE_NEWNET);
    }
    // Another type: which one, if the calling thread is in that very namespace.
    for (name, nstype) in NS_TYPE_NAMES {
        if let Ok(st) = nix::sys::stat::stat(format!("/proc/thread-self/ns/{name}").as_str()) {
            #[allow(clippy::unnecessary_cast)]
            if (st.st_dev as u64, st.st_ino as u64) == (own.dev, own.ino) {
                return Ok(nstype);
            }
        }
    }
    Ok(0)
}

/// Whether the kernel takes `fd` as a network namespace: `setns(fd, CLONE_NEWNET)` on a
/// short-lived thread that exits right after (so no thread that runs anything else moves).
/// EINVAL (another type, or not a namespace) is `false`; other errors (EPERM) are errors.
pub fn is_net_by_setns(fd: BorrowedFd<'_>) -> Result<bool> {
    let raw = fd.as_raw_fd();
    std::thread::scope(|scope| {
        scope
            .spawn(|| match nix::sched::setns(fd, nix::sched::CloneFlags::CLONE_NEWNET) {
                Ok(()) => Ok(true),
                Err(Errno::EINVAL) => Ok(false),
                Err(errno) => Err(Error::sys(errno, "setns", Subject::Fd(raw))),
            })
            .join()
            .unwrap_or_else(|_| Err(Error::sys(Errno::EIO, "setns", Subject::Fd(raw))))
    })
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
        let nstype = match unsafe { ns_get_nstype(fd.as_raw_fd()) } {
            Ok(nstype) => nstype,
            // ENOTTY: a regular procfs file, or a kernel before 4.11 (no NS_GET_NSTYPE);
            // ENOSYS: an emulator that does not pass the ioctl on (qemu-user 7.2). Ask procfs.
            Err(Errno::ENOTTY | Errno::ENOSYS) => nstype_from_link(fd.as_fd(), path)?,
            Err(errno) => return Err(Error::sys(errno, "ioctl", Subject::Path(path.into()))),
        };
        if nstype == CLONE_NEWNET {
            Ok(NetNs { fd })
        } else {
            Err(Error::WrongType { path: path.into(), nstype })
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

    /// The fd, owned by the caller from now on.
    pub fn into_owned(self) -> OwnedFd {
        self.fd
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

    /// The fallback for kernels and emulators without `NS_GET_NSTYPE`, called directly.
    #[test]
    fn link_fallback_tells_the_type_and_refuses_other_files() {
        let open_ro = |p: &str| open(p, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
        let net = open_ro(THREAD_SELF_NS_NET);
        assert_eq!(nstype_from_link(net.as_fd(), Path::new(THREAD_SELF_NS_NET)), Ok(CLONE_NEWNET));
        let mnt = open_ro("/proc/thread-self/ns/mnt");
        assert_eq!(nstype_from_link(mnt.as_fd(), Path::new("m")), Ok(libc::CLONE_NEWNS));
        let uts = open_ro("/proc/thread-self/ns/uts");
        assert_eq!(nstype_from_link(uts.as_fd(), Path::new("u")), Ok(libc::CLONE_NEWUTS));
        for p in ["/proc/self/status", "/etc/hostname"] {
            let f = open_ro(p);
            assert!(matches!(nstype_from_link(f.as_fd(), Path::new(p)), Err(Error::PathNotNs { .. })), "{p}");
        }
        // A regular file whose name looks like a namespace link is still no namespace.
        let dir = std::env::temp_dir().join(format!("netns-core-link-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let fake = dir.join("net:[4026531840]");
        std::fs::write(&fake, b"").unwrap();
        let f = open(&fake, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
        let r = nstype_from_link(f.as_fd(), &fake);
        std::fs::remove_dir_all(&dir).unwrap();
        assert!(matches!(r, Err(Error::PathNotNs { .. })));
    }

    /// A namespace kept by `ip netns add` (a bind mount: its fd links to the mount path).
    #[test]
    fn link_fallback_handles_bind_mounted_namespaces() {
        struct Named(String);
        impl Drop for Named {
            fn drop(&mut self) {
                let _ = std::process::Command::new("ip").args(["netns", "del", &self.0]).status();
            }
        }
        let named = Named(format!("mxcore{}", std::process::id()));
        let ok = std::process::Command::new("ip").args(["netns", "add", &named.0]).status().unwrap();
        assert!(ok.success(), "ip netns add needs root");
        let path = format!("/run/netns/{}", named.0);
        let f = open(path.as_str(), OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
        assert_eq!(nstype_from_link(f.as_fd(), Path::new(&path)), Ok(CLONE_NEWNET));
        assert_eq!(is_net_by_setns(f.as_fd()), Ok(true));
        let uts = open("/proc/thread-self/ns/uts", OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()).unwrap();
        assert_eq!(is_net_by_setns(uts.as_fd()), Ok(false));
        // The caller never moved.
        assert_eq!(NetNs::current().unwrap().identity().unwrap().ino, nix::sys::stat::stat(THREAD_SELF_NS_NET).unwrap().st_ino as u64);
    }

    /// Where the ioctl exists, it and the fallback agree on every namespace type of this thread.
    #[test]
    fn link_fallback_agrees_with_the_ioctl() {
        for entry in std::fs::read_dir("/proc/thread-self/ns").unwrap() {
            let p = entry.unwrap().path();
            let Ok(fd) = open(&p, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty()) else { continue };
            // SAFETY: as in NetNs::open.
            let Ok(by_ioctl) = (unsafe { ns_get_nstype(fd.as_raw_fd()) }) else { continue };
            assert_eq!(nstype_from_link(fd.as_fd(), &p), Ok(by_ioctl), "{}", p.display());
        }
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
