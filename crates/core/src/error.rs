//! One error type for every failure in the core: the errno plus what was being done to what.

use std::fmt;
use std::os::fd::RawFd;
use std::path::{Path, PathBuf};

use nix::errno::Errno;

/// What a failed call was acting on; it is named in the error message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// Nothing in particular.
    None,
    /// A file system path.
    Path(PathBuf),
    /// A file descriptor.
    Fd(RawFd),
    /// A name, such as a network device.
    Name(String),
}

/// A failure in the core.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Error {
    /// A system call failed with `errno`.
    Sys {
        /// The kernel's error number.
        errno: Errno,
        /// The system call that failed, by its man page name.
        syscall: &'static str,
        /// What it acted on.
        subject: Subject,
        /// The kernel's own explanation, when it gave one (a netlink extended ack, e.g.
        /// "Nexthop has invalid gateway").
        detail: Option<String>,
    },
    /// The path does not exist.
    PathNotExist {
        /// The path that was looked up.
        path: PathBuf,
    },
    /// The path exists but is not on nsfs or procfs, so it cannot be a namespace.
    PathNotNs {
        /// The path that was looked up.
        path: PathBuf,
        /// The file system magic number found there.
        fs_type: i64,
    },
    /// The path is a namespace, but not a network namespace.
    WrongType {
        /// The path that was looked up.
        path: PathBuf,
        /// The `CLONE_NEW*` type the kernel reported.
        nstype: i32,
    },
    /// This process may not write in the run directory of named namespaces (or create it): a
    /// failed system call on the directory or an entry of it, with the directory named so that
    /// the message can say which one and how to choose another.
    RunDirNotWritable {
        /// The kernel's error number (`EACCES`, or `EROFS` for a read-only file system).
        errno: Errno,
        /// The system call that failed, by its man page name.
        syscall: &'static str,
        /// What it acted on: the run directory or an entry of it.
        path: PathBuf,
        /// The run directory.
        run_dir: PathBuf,
    },
    /// A name that cannot name a namespace: not a single path component (empty, `.`, `..`,
    /// containing `/` or NUL) or longer than 255 bytes.
    InvalidName {
        /// The name that was refused.
        name: String,
        /// Why, in a few words.
        reason: &'static str,
    },
    /// User namespaces are not available to this process, so no rootless namespace can be made.
    UserNsUnavailable {
        /// The kernel's error number.
        errno: Errno,
        /// The step that failed: `unshare` (`CLONE_NEWUSER`) or `write` (of `/proc/self/uid_map`).
        syscall: &'static str,
        /// What blocks them, as far as the kernel's settings tell.
        cause: crate::userns::UserNsBlock,
    },
}

/// The core's result type.
pub type Result<T> = std::result::Result<T, Error>;

impl Error {
    /// A failed system call on a subject.
    pub fn sys(errno: Errno, syscall: &'static str, subject: Subject) -> Self {
        Error::Sys { errno, syscall, subject, detail: None }
    }

    /// The same error with the kernel's explanation attached (a failed system call only).
    pub fn with_detail(self, text: Option<String>) -> Self {
        match self {
            Error::Sys { errno, syscall, subject, .. } => Error::Sys { errno, syscall, subject, detail: text },
            other => other,
        }
    }

    /// The errno of a failed system call, if this is one.
    pub fn errno(&self) -> Option<Errno> {
        match self {
            Error::Sys { errno, .. } | Error::RunDirNotWritable { errno, .. } | Error::UserNsUnavailable { errno, .. } => {
                Some(*errno)
            }
            _ => None,
        }
    }

    /// The capability this call was refused for lack of, if the refusal is one: the kernel's
    /// `EPERM` (`EACCES` for another user's `/proc/<pid>` files and for ports below 1024) for a
    /// system call the package makes. See `capabilities(7)`.
    pub fn missing_capability(&self) -> Option<Needed> {
        let Error::Sys { errno, syscall, subject, .. } = self else { return None };
        let (capability, purpose) = match (*errno, *syscall, subject) {
            (Errno::EPERM, "setns", _) => (CAP_SYS_ADMIN, "entering a namespace"),
            (Errno::EPERM, "unshare", _) => (CAP_SYS_ADMIN, "creating a namespace"),
            (Errno::EPERM, "mount" | "umount2", _) => (CAP_SYS_ADMIN, "mounting and unmounting namespaces"),
            // SO_BINDTODEVICE (its subject is the device) needs nothing the first time; changing
            // it needs CAP_NET_RAW, which CAP_NET_ADMIN does not replace.
            (Errno::EPERM, "setsockopt", Subject::Name(_)) => {
                ("CAP_NET_RAW", "changing the device a socket is bound to (SO_BINDTODEVICE)")
            }
            (Errno::EPERM, "setsockopt", _) => (CAP_NET_ADMIN, "SO_MARK (CAP_NET_RAW also does)"),
            (Errno::EPERM, op, _) if op.starts_with("RTM_") => {
                (CAP_NET_ADMIN, "changing links, addresses, routes and rules")
            }
            (Errno::EACCES, "bind", Subject::Name(addr)) if addr.parse::<std::net::SocketAddr>().is_ok() => {
                ("CAP_NET_BIND_SERVICE", "a port below ip_unprivileged_port_start (1024 unless changed)")
            }
            (Errno::EACCES, _, Subject::Path(p)) if p.starts_with("/proc") => {
                ("CAP_SYS_PTRACE", "the namespace of a process of another user")
            }
            _ => return None,
        };
        Some(Needed { capability, purpose })
    }

    /// What the caller can do about a refusal, in a few words, if anything: the capability it
    /// lacked, or another run directory.
    pub fn hint(&self) -> Option<String> {
        if let Error::RunDirNotWritable { run_dir, .. } = self {
            return Some(format!(
                "this process may not write in the run directory '{}': give one it may write as the runDir option or in NETNS_RUN_DIR",
                run_dir.display()
            ));
        }
        self.missing_capability().map(|n| format!("{} needs {}", n.purpose, n.capability))
    }

    /// This error, said of the run directory `run_dir` when it is a refusal to write in it
    /// (`EACCES` or `EROFS` on the directory or an entry of it); otherwise unchanged.
    pub(crate) fn in_run_dir(self, run_dir: &Path) -> Error {
        match self {
            Error::Sys { errno: errno @ (Errno::EACCES | Errno::EROFS), syscall, subject: Subject::Path(path), .. }
                if path.starts_with(run_dir) =>
            {
                Error::RunDirNotWritable { errno, syscall, path, run_dir: run_dir.into() }
            }
            other => other,
        }
    }
}

/// `CAP_SYS_ADMIN`, by its `capabilities(7)` name.
pub const CAP_SYS_ADMIN: &str = "CAP_SYS_ADMIN";
/// `CAP_NET_ADMIN`, by its `capabilities(7)` name.
pub const CAP_NET_ADMIN: &str = "CAP_NET_ADMIN";

/// A capability a call was refused for lack of ([`Error::missing_capability`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Needed {
    /// Its `capabilities(7)` name, e.g. `CAP_SYS_ADMIN`.
    pub capability: &'static str,
    /// What needs it, in a few words, e.g. "entering a namespace".
    pub purpose: &'static str,
}

/// The errno's description as Node words it: lower case, e.g. "operation not permitted".
pub(crate) fn describe(errno: Errno) -> String {
    let text = std::io::Error::from_raw_os_error(errno as i32).to_string();
    let desc = text.split(" (os error").next().unwrap_or_default();
    let mut chars = desc.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Sys { errno, syscall, subject, detail } => {
                write!(f, "{errno:?}: {}, {syscall}", describe(*errno))?;
                match subject {
                    Subject::None => {}
                    Subject::Path(p) => write!(f, " '{}'", p.display())?,
                    Subject::Fd(fd) => write!(f, " (fd {fd})")?,
                    Subject::Name(n) => write!(f, " '{n}'")?,
                }
                if let Some(text) = detail {
                    write!(f, ": {text}")?;
                }
                if let Some(hint) = self.hint() {
                    write!(f, " ({hint})")?;
                }
                Ok(())
            }
            Error::RunDirNotWritable { errno, syscall, path, .. } => {
                write!(f, "{errno:?}: {}, {syscall} '{}'", describe(*errno), path.display())?;
                if let Some(hint) = self.hint() {
                    write!(f, " ({hint})")?;
                }
                Ok(())
            }
            Error::PathNotExist { path } => {
                write!(f, "namespace path '{}' does not exist", path.display())
            }
            Error::PathNotNs { path, fs_type } => write!(
                f,
                "'{}' is not a namespace: it is on a file system of type {fs_type:#x}, not nsfs or procfs",
                path.display()
            ),
            Error::WrongType { path, nstype } => write!(
                f,
                "'{}' is a namespace of type {nstype:#x}, not a network namespace (CLONE_NEWNET)",
                path.display()
            ),
            Error::InvalidName { name, reason } => {
                write!(f, "invalid namespace name {name:?}: {reason}; a name must be a single path component")
            }
            Error::UserNsUnavailable { errno, syscall, cause } => write!(
                f,
                "{errno:?}: {}, {syscall}: user namespaces are not available to this process, so no rootless \
                 namespace can be made: {}. Fix: {}",
                describe(*errno),
                cause.describe(),
                cause.fix()
            ),
        }
    }
}

impl std::error::Error for Error {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sys_error_reads_like_node() {
        let e = Error::sys(Errno::EPERM, "setns", Subject::Path("/run/netns/blue".into()));
        assert_eq!(
            e.to_string(),
            "EPERM: operation not permitted, setns '/run/netns/blue' (entering a namespace needs CAP_SYS_ADMIN)"
        );
        assert_eq!(e.errno(), Some(Errno::EPERM));
    }

    #[test]
    fn fd_subject_is_named() {
        let e = Error::sys(Errno::EBADF, "setns", Subject::Fd(7));
        assert_eq!(e.to_string(), "EBADF: bad file descriptor, setns (fd 7)");
        assert_eq!(e.hint(), None);
    }

    #[test]
    fn each_refusal_names_the_capability_it_lacked() {
        let cap = |errno, syscall, subject| Error::sys(errno, syscall, subject).missing_capability().map(|n| n.capability);
        let path = |p: &str| Subject::Path(p.into());
        let name = |n: &str| Subject::Name(n.into());
        assert_eq!(cap(Errno::EPERM, "setns", Subject::Fd(3)), Some(CAP_SYS_ADMIN));
        assert_eq!(cap(Errno::EPERM, "unshare", Subject::None), Some(CAP_SYS_ADMIN));
        assert_eq!(cap(Errno::EPERM, "mount", path("/run/netns")), Some(CAP_SYS_ADMIN));
        assert_eq!(cap(Errno::EPERM, "umount2", path("/run/netns/a")), Some(CAP_SYS_ADMIN));
        assert_eq!(cap(Errno::EPERM, "setsockopt", Subject::Fd(3)), Some(CAP_NET_ADMIN));
        assert_eq!(cap(Errno::EPERM, "setsockopt", name("eth0")), Some("CAP_NET_RAW"));
        for op in ["RTM_NEWLINK", "RTM_DELLINK", "RTM_NEWADDR"] {
            assert_eq!(cap(Errno::EPERM, op, name("veth0")), Some(CAP_NET_ADMIN), "{op}");
        }
        assert_eq!(cap(Errno::EACCES, "bind", name("127.0.0.1:80")), Some("CAP_NET_BIND_SERVICE"));
        assert_eq!(cap(Errno::EACCES, "bind", name("[::1]:80")), Some("CAP_NET_BIND_SERVICE"));
        assert_eq!(cap(Errno::EACCES, "statfs", path("/proc/1/ns/net")), Some("CAP_SYS_PTRACE"));
        // Not a capability's doing: a unix socket in a folder it may not write, another errno, an
        // EACCES outside /proc, a system call the table does not know.
        assert_eq!(cap(Errno::EACCES, "bind", name("/root/sock")), None);
        assert_eq!(cap(Errno::EINVAL, "setns", Subject::Fd(3)), None);
        assert_eq!(cap(Errno::EACCES, "open", path("/root/ns")), None);
        assert_eq!(cap(Errno::EPERM, "unlink", path("/tmp/x")), None);
        let e = Error::sys(Errno::EPERM, "setsockopt", Subject::Fd(9));
        assert!(e.to_string().ends_with("(SO_MARK (CAP_NET_RAW also does) needs CAP_NET_ADMIN)"), "{e}");
    }

    #[test]
    fn a_refusal_in_the_run_dir_names_it_and_the_way_out() {
        let dir = Path::new("/run/netns");
        let e = Error::sys(Errno::EACCES, "open", Subject::Path(dir.join("x"))).in_run_dir(dir);
        assert_eq!(
            e,
            Error::RunDirNotWritable { errno: Errno::EACCES, syscall: "open", path: dir.join("x"), run_dir: dir.into() }
        );
        assert_eq!(e.errno(), Some(Errno::EACCES));
        assert_eq!(
            e.to_string(),
            "EACCES: permission denied, open '/run/netns/x' (this process may not write in the run directory \
             '/run/netns': give one it may write as the runDir option or in NETNS_RUN_DIR)"
        );
        // Other errors, and paths outside the run directory, are left as they are.
        let other = Error::sys(Errno::EPERM, "mount", Subject::Path(dir.into()));
        assert_eq!(other.clone().in_run_dir(dir), other);
        let elsewhere = Error::sys(Errno::EACCES, "open", Subject::Path("/etc/x".into()));
        assert_eq!(elsewhere.clone().in_run_dir(dir), elsewhere);
    }

    #[test]
    fn the_kernels_explanation_follows_the_subject() {
        let e = Error::sys(Errno::EINVAL, "RTM_NEWROUTE", Subject::Name("default".into()))
            .with_detail(Some("Nexthop has invalid gateway".into()));
        assert_eq!(e.to_string(), "EINVAL: invalid argument, RTM_NEWROUTE 'default': Nexthop has invalid gateway");
        assert_eq!(e.errno(), Some(Errno::EINVAL));
    }
}
