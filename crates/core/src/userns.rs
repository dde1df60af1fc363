//! A user namespace of the calling process's own (`user_namespaces(7)`), and why the kernel may
//! refuse one.
//!
//! A process that unshares `CLONE_NEWUSER` holds every capability inside the new user namespace,
//! and so over every namespace it then makes (network, mount): that is how an ordinary user owns
//! network namespaces. Only a single-threaded process may do it (`EINVAL` otherwise).

use nix::errno::Errno;
use nix::sched::{unshare, CloneFlags};

use crate::error::{Error, Result};

/// Where the kernel keeps the per-user-namespace limit on user namespaces.
pub const MAX_USER_NAMESPACES: &str = "/proc/sys/user/max_user_namespaces";
/// Debian's and older Ubuntu's switch for unprivileged user namespaces.
pub const UNPRIVILEGED_USERNS_CLONE: &str = "/proc/sys/kernel/unprivileged_userns_clone";
/// Ubuntu 23.10+'s AppArmor switch that takes capabilities away inside unprivileged user namespaces.
pub const APPARMOR_RESTRICT: &str = "/proc/sys/kernel/apparmor_restrict_unprivileged_userns";

/// What keeps user namespaces from the calling process.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserNsBlock {
    /// `user.max_user_namespaces` is 0 (in this user namespace or an ancestor): `ENOSPC`.
    MaxUserNamespaces,
    /// Debian's `kernel.unprivileged_userns_clone` is 0: `EPERM`.
    UnprivilegedUsernsClone,
    /// Ubuntu's `kernel.apparmor_restrict_unprivileged_userns` is 1: the namespace is made but
    /// holds no capability, so its uid map cannot be written (`EPERM`).
    AppArmor,
    /// Something else (a seccomp filter, a container's policy, a nested limit reached).
    Other,
}

impl UserNsBlock {
    /// The sysctl involved, as `sysctl(8)` names it, if one is.
    pub fn sysctl(self) -> Option<&'static str> {
        match self {
            UserNsBlock::MaxUserNamespaces => Some("user.max_user_namespaces"),
            UserNsBlock::UnprivilegedUsernsClone => Some("kernel.unprivileged_userns_clone"),
            UserNsBlock::AppArmor => Some("kernel.apparmor_restrict_unprivileged_userns"),
            UserNsBlock::Other => None,
        }
    }

    /// A stable name for the cause: `max_user_namespaces`, `unprivileged_userns_clone`,
    /// `apparmor` or `other`.
    pub fn name(self) -> &'static str {
        match self {
            UserNsBlock::MaxUserNamespaces => "max_user_namespaces",
            UserNsBlock::UnprivilegedUsernsClone => "unprivileged_userns_clone",
            UserNsBlock::AppArmor => "apparmor",
            UserNsBlock::Other => "other",
        }
    }

    /// The cause, in a few words.
    pub fn describe(self) -> &'static str {
        match self {
            UserNsBlock::MaxUserNamespaces => "user.max_user_namespaces is 0",
            UserNsBlock::UnprivilegedUsernsClone => "kernel.unprivileged_userns_clone is 0 (Debian's switch)",
            UserNsBlock::AppArmor => {
                "AppArmor restricts unprivileged user namespaces (kernel.apparmor_restrict_unprivileged_userns is 1)"
            }
            UserNsBlock::Other => "the kernel or a security policy (seccomp, a container runtime) refused them",
        }
    }

    /// What an administrator can do about it.
    pub fn fix(self) -> &'static str {
        match self {
            UserNsBlock::MaxUserNamespaces => {
                "as root, `sysctl -w user.max_user_namespaces=15000` (and a line in /etc/sysctl.d/ to keep it); \
                 inside a container, raise it on the host"
            }
            UserNsBlock::UnprivilegedUsernsClone => {
                "as root, `sysctl -w kernel.unprivileged_userns_clone=1` (and a line in /etc/sysctl.d/ to keep it)"
            }
            UserNsBlock::AppArmor => {
                "give the program an AppArmor profile that allows `userns,` (a file in /etc/apparmor.d/ naming its \
                 node binary, loaded with apparmor_parser -r), or as root \
                 `sysctl -w kernel.apparmor_restrict_unprivileged_userns=0`"
            }
            UserNsBlock::Other => {
                "allow unshare(CLONE_NEWUSER) for this program (container: a seccomp profile that permits it), \
                 or run with CAP_SYS_ADMIN and CAP_NET_ADMIN and use createNetNS() without rootless"
            }
        }
    }
}

/// Reads an integer sysctl file; `None` if it is missing or unreadable.
fn read_sysctl(path: &str) -> Option<i64> {
    std::fs::read_to_string(path).ok()?.trim().parse().ok()
}

/// Tells what blocked user namespaces, from the kernel's settings, after a failure with `errno`.
pub fn diagnose(errno: Errno) -> UserNsBlock {
    if errno == Errno::ENOSPC && read_sysctl(MAX_USER_NAMESPACES) == Some(0) {
        return UserNsBlock::MaxUserNamespaces;
    }
    if errno == Errno::EPERM && read_sysctl(UNPRIVILEGED_USERNS_CLONE) == Some(0) {
        return UserNsBlock::UnprivilegedUsernsClone;
    }
    if matches!(errno, Errno::EPERM | Errno::EACCES) && read_sysctl(APPARMOR_RESTRICT) == Some(1) {
        return UserNsBlock::AppArmor;
    }
    UserNsBlock::Other
}

fn unavailable(errno: Errno, syscall: &'static str) -> Error {
    Error::UserNsUnavailable { errno, syscall, cause: diagnose(errno) }
}

/// Moves the calling (single-threaded) process into a new user namespace in which `uid` and
/// `gid` (its ids outside, read before the call) are 0: `unshare(CLONE_NEWUSER)`, then `deny` in
/// `/proc/self/setgroups` and `0 <id> 1` in `uid_map` and `gid_map`, as `unshare -r` does.
pub fn enter_own_user_ns(uid: u32, gid: u32) -> Result<()> {
    unshare(CloneFlags::CLONE_NEWUSER).map_err(|e| unavailable(e, "unshare"))?;
    let write = |path: &str, text: String| {
        std::fs::write(path, text).map_err(|e| Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO)))
    };
    // setgroups must be denied before an unprivileged gid_map is written (kernels before 3.19
    // have no such file: nothing to deny there).
    match write("/proc/self/setgroups", "deny".into()) {
        Ok(()) | Err(Errno::ENOENT) => {}
        Err(e) => return Err(unavailable(e, "write")),
    }
    write("/proc/self/uid_map", format!("0 {uid} 1")).map_err(|e| unavailable(e, "write"))?;
    write("/proc/self/gid_map", format!("0 {gid} 1")).map_err(|e| unavailable(e, "write"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_cause_says_what_to_do() {
        for block in [UserNsBlock::MaxUserNamespaces, UserNsBlock::UnprivilegedUsernsClone, UserNsBlock::AppArmor] {
            let sysctl = block.sysctl().unwrap();
            assert!(block.describe().contains(sysctl), "{block:?}");
        }
        assert!(UserNsBlock::MaxUserNamespaces.fix().contains("sysctl -w user.max_user_namespaces="));
        assert!(UserNsBlock::UnprivilegedUsernsClone.fix().contains("kernel.unprivileged_userns_clone=1"));
        assert!(UserNsBlock::AppArmor.fix().contains("userns,"));
        assert_eq!(UserNsBlock::Other.sysctl(), None);
        let e = Error::UserNsUnavailable { errno: Errno::ENOSPC, syscall: "unshare", cause: UserNsBlock::MaxUserNamespaces };
        assert_eq!(e.errno(), Some(Errno::ENOSPC));
        assert!(e.to_string().starts_with("ENOSPC: no space left on device, unshare: user namespaces are not available"));
    }

    #[test]
    fn an_errno_that_no_setting_explains_is_other() {
        // This machine allows user namespaces: no setting explains a failure.
        assert_eq!(read_sysctl(MAX_USER_NAMESPACES).map(|n| n > 0), Some(true));
        assert_eq!(diagnose(Errno::ENOSPC), UserNsBlock::Other);
        assert_eq!(diagnose(Errno::EINVAL), UserNsBlock::Other);
    }
}
