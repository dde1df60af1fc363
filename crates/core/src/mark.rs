//! Socket options that steer a socket's traffic: `SO_MARK` and `SO_BINDTODEVICE`.

use std::ffi::OsString;
use std::os::fd::{AsRawFd, BorrowedFd};

use nix::sys::socket::{getsockopt, setsockopt, sockopt};

use crate::error::{Error, Result, Subject};

/// Sets `SO_MARK` on a socket (`socket(7)`); needs `CAP_NET_ADMIN` (or `CAP_NET_RAW`).
pub fn set_mark(fd: BorrowedFd<'_>, mark: u32) -> Result<()> {
    setsockopt(&fd, sockopt::Mark, &mark).map_err(|e| Error::sys(e, "setsockopt", Subject::Fd(fd.as_raw_fd())))
}

/// Reads `SO_MARK` of a socket.
pub fn get_mark(fd: BorrowedFd<'_>) -> Result<u32> {
    getsockopt(&fd, sockopt::Mark).map_err(|e| Error::sys(e, "getsockopt", Subject::Fd(fd.as_raw_fd())))
}

/// Binds a socket to a network device with `SO_BINDTODEVICE` (`socket(7)`): no capability the
/// first time (Linux 5.7 and later), `CAP_NET_RAW` to change it. The device must exist in the
/// socket's namespace (`ENODEV` otherwise).
pub fn bind_to_device(fd: BorrowedFd<'_>, ifname: &str) -> Result<()> {
    setsockopt(&fd, sockopt::BindToDevice, &OsString::from(ifname))
        .map_err(|e| Error::sys(e, "setsockopt", Subject::Name(ifname.into())))
}

#[cfg(test)]
mod tests {
    use super::*;
    use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
    use std::os::fd::AsFd;

    fn udp() -> std::os::fd::OwnedFd {
        socket(AddressFamily::Inet, SockType::Datagram, SockFlag::SOCK_CLOEXEC, None).unwrap()
    }

    #[test]
    fn mark_round_trips_including_the_largest_u32() {
        let s = udp();
        assert_eq!(get_mark(s.as_fd()).unwrap(), 0);
        set_mark(s.as_fd(), 0xffff_ffff).unwrap();
        assert_eq!(get_mark(s.as_fd()).unwrap(), 0xffff_ffff);
    }

    #[test]
    fn mark_on_a_non_socket_is_enotsock() {
        let f = std::fs::File::open("/proc/self/status").unwrap();
        let e = set_mark(f.as_fd(), 1).unwrap_err();
        assert_eq!(e.errno(), Some(nix::errno::Errno::ENOTSOCK));
    }

    #[test]
    fn unknown_device_is_enodev() {
        let s = udp();
        let e = bind_to_device(s.as_fd(), "nodev-xyz0").unwrap_err();
        assert_eq!(e.errno(), Some(nix::errno::Errno::ENODEV));
        bind_to_device(s.as_fd(), "lo").unwrap();
    }
}
