//! The `net.*` sysctls of a network namespace (`sysctl(8)`, `proc(5)`), read and written without
//! a child process.
//!
//! `/proc/sys/net` shows the namespace of the task that opens it, so each call switches the
//! calling thread into the namespace (with [`NsGuard`]) for the open, the read or write and the
//! close, and switches it back before it returns. Only keys under `net.` are accepted: the rest
//! of `/proc/sys` belongs to the whole machine, not to a network namespace.

use std::fs::OpenOptions;
use std::io::{Read, Write};
use std::os::fd::BorrowedFd;
use std::path::PathBuf;

use nix::errno::Errno;

use crate::error::{Error, Result, Subject};
use crate::switch::NsGuard;

/// The longest key accepted, in bytes.
pub const SYSCTL_KEY_MAX: usize = 255;

/// The file of a `net.*` key: `net.ipv4.ip_forward` is `/proc/sys/net/ipv4/ip_forward`.
///
/// A key is `net` and one or more components joined by `.`, each of ASCII letters, digits, `_`
/// and `-`, at most [`SYSCTL_KEY_MAX`] bytes: no `/`, no empty component, so no `..` either.
/// Anything else is `EINVAL`. (Device names that contain `.` cannot be named this way.)
pub fn sysctl_path(key: &str) -> Result<PathBuf> {
    let mut parts = key.split('.');
    let valid = key.len() <= SYSCTL_KEY_MAX
        && parts.next() == Some("net")
        && key.contains('.')
        && parts.all(|p| !p.is_empty() && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-'));
    if !valid {
        return Err(Error::sys(Errno::EINVAL, "sysctl", Subject::Name(key.to_owned())));
    }
    Ok(PathBuf::from("/proc/sys").join(key.replace('.', "/")))
}

/// Reads the `net.*` sysctl `key` of the namespace `ns`, as `sysctl -n KEY` prints it (without
/// the final newline). `ENOENT` for a key the namespace does not have.
pub fn get_sysctl(ns: BorrowedFd<'_>, key: &str) -> Result<String> {
    let path = sysctl_path(key)?;
    let fail = |e: std::io::Error, syscall| {
        Error::sys(Errno::from_raw(e.raw_os_error().unwrap_or(0)), syscall, Subject::Path(path.clone()))
    };
    let mut text = String::new();
    {
        let _inside = NsGuard::enter(ns)?;
        let mut file = OpenOptions::new().read(true).open(&path).map_err(|e| fail(e, "open"))?;
        file.read_to_string(&mut text).map_err(|e| fail(e, "read"))?;
    }
    if text.ends_with('\n') {
        text.pop();
    }
    Ok(text)
}

/// Writes `value` to the `net.*` sysctl `key` of the namespace `ns` (`sysctl -w KEY=VALUE`).
/// The kernel checks the value: `EINVAL` for one it refuses, `ENOENT` for a missing key.
pub fn set_sysctl(ns: BorrowedFd<'_>, key: &str, value: &str) -> Result<()> {
    let path = sysctl_path(key)?;
    let fail = |e: std::io::Error, syscall| {
        Error::sys(Errno::from_raw(e.raw_os_error().unwrap_or(0)), syscall, Subject::Path(path.clone()))
    };
    let _inside = NsGuard::enter(ns)?;
    let mut file = OpenOptions::new().write(true).open(&path).map_err(|e| fail(e, "open"))?;
    file.write_all(value.as_bytes()).map_err(|e| fail(e, "write"))
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use super::*;
    use crate::nsfile::NetNs;
    use crate::testutil::unshared_netns;

    #[test]
    fn only_plain_net_keys_name_a_file() {
        assert_eq!(sysctl_path("net.ipv4.ip_forward").unwrap(), PathBuf::from("/proc/sys/net/ipv4/ip_forward"));
        assert_eq!(
            sysctl_path("net.ipv4.conf.veth-a_1.rp_filter").unwrap(),
            PathBuf::from("/proc/sys/net/ipv4/conf/veth-a_1/rp_filter")
        );
        let long = format!("net.{}", "a".repeat(SYSCTL_KEY_MAX));
        for bad in [
            "kernel.hostname",
            "net",
            "net.",
            "net..ipv4",
            "net.ipv4/../../kernel",
            "net.ipv4.a b",
            "netx.a",
            "",
            &long,
        ] {
            assert_eq!(sysctl_path(bad).unwrap_err().errno(), Some(Errno::EINVAL), "{bad}");
        }
    }

    #[test]
    fn a_namespace_has_its_own_forwarding_switch() {
        let ns = unshared_netns();
        let here = NetNs::current().unwrap();
        let before = get_sysctl(here.as_fd(), "net.ipv4.ip_forward").unwrap();
        assert_eq!(get_sysctl(ns.as_fd(), "net.ipv4.ip_forward").unwrap(), "0");
        set_sysctl(ns.as_fd(), "net.ipv4.ip_forward", "1").unwrap();
        assert_eq!(get_sysctl(ns.as_fd(), "net.ipv4.ip_forward").unwrap(), "1");
        assert_eq!(get_sysctl(here.as_fd(), "net.ipv4.ip_forward").unwrap(), before);
        assert_eq!(NetNs::current().unwrap().identity().unwrap(), here.identity().unwrap());

        let e = set_sysctl(ns.as_fd(), "net.ipv4.ip_forward", "x").unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EINVAL));
        let e = get_sysctl(ns.as_fd(), "net.ipv4.no_such_key").unwrap_err();
        assert_eq!(e, Error::sys(Errno::ENOENT, "open", Subject::Path("/proc/sys/net/ipv4/no_such_key".into())));
    }
}
