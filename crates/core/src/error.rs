//! One error type for every failure in the core: the errno plus what was being done to what.

use std::fmt;
use std::os::fd::RawFd;
use std::path::PathBuf;

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
    /// A name that cannot name a namespace: not a single path component (empty, `.`, `..`,
    /// containing `/` or NUL) or longer than 255 bytes.
    InvalidName {
        /// The name that was refused.
        name: String,
        /// Why, in a few words.
        reason: &'static str,
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
            Error::Sys { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// What the caller can do about a permission error, if anything.
    pub fn hint(&self) -> Option<&'static str> {
        match self {
            Error::Sys { errno: Errno::EPERM, syscall, .. } => Some(match *syscall {
                "setsockopt" => "SO_MARK and SO_BINDTODEVICE need CAP_NET_ADMIN (or CAP_NET_RAW)",
                "mount" | "umount2" => "managing named namespaces needs CAP_SYS_ADMIN and root",
                "unshare" => "creating a network namespace needs CAP_SYS_ADMIN",
                s if s.starts_with("RTM_") => "changing links, addresses, routes and rules needs CAP_NET_ADMIN",
                _ => "switching network namespaces needs CAP_SYS_ADMIN",
            }),
            _ => None,
        }
    }
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
            "EPERM: operation not permitted, setns '/run/netns/blue' (switching network namespaces needs CAP_SYS_ADMIN)"
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
    fn the_kernels_explanation_follows_the_subject() {
        let e = Error::sys(Errno::EINVAL, "RTM_NEWROUTE", Subject::Name("default".into()))
            .with_detail(Some("Nexthop has invalid gateway".into()));
        assert_eq!(e.to_string(), "EINVAL: invalid argument, RTM_NEWROUTE 'default': Nexthop has invalid gateway");
        assert_eq!(e.errno(), Some(Errno::EINVAL));
    }
}
