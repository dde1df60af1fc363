//! Argument checks the facade has already made, made again so that no bad value reaches a syscall.

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
