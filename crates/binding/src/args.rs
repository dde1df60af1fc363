//! Argument checks the facade has already made, made again so that no bad value reaches a syscall.

use std::net::IpAddr;
use std::os::fd::BorrowedFd;

use napi::{Error, Result, Status};

/// Borrows a file descriptor number handed in from JavaScript.
pub fn borrow_fd<'a>(fd: i32) -> Result<BorrowedFd<'a>> {
    if fd < 0 {
        return Err(Error::new(Status::InvalidArg, format!("fd must be a non-negative integer, got {fd}")));
    }
    // SAFETY: the fd is only used for the duration of one native call, during which the
    // caller (the facade) keeps it open; a stale number fails with EBADF in the kernel.
    Ok(unsafe { BorrowedFd::borrow_raw(fd) })
}

/// Reads an IPv4 or IPv6 literal; `what` names the argument in the error.
pub fn ip(value: &str, what: &str) -> Result<IpAddr> {
    value.parse().map_err(|_| Error::new(Status::InvalidArg, format!("{what} must be an IP address, got '{value}'")))
}

/// Narrows a prefix length, scope or route type to the byte the kernel takes.
pub fn byte(value: u32, what: &str) -> Result<u8> {
    u8::try_from(value).map_err(|_| Error::new(Status::InvalidArg, format!("{what} must be <= 255, got {value}")))
}
