//! `SO_MARK` and `SO_BINDTODEVICE` on a socket fd.

use napi::{Env, Result};
use napi_derive::napi;

use crate::args::borrow_fd;
use crate::error::to_js;

/// Sets `SO_MARK` on the socket `fd`.
#[napi]
pub fn set_mark(env: &Env, fd: i32, mark: u32) -> Result<()> {
    netns_core::set_mark(borrow_fd(fd)?, mark).map_err(|e| to_js(env, e))
}

/// Reads `SO_MARK` of the socket `fd`.
#[napi]
pub fn get_mark(env: &Env, fd: i32) -> Result<u32> {
    netns_core::get_mark(borrow_fd(fd)?).map_err(|e| to_js(env, e))
}

/// Binds the socket `fd` to the network device `ifname` (`SO_BINDTODEVICE`).
#[napi]
pub fn bind_to_device(env: &Env, fd: i32, ifname: String) -> Result<()> {
    netns_core::bind_to_device(borrow_fd(fd)?, &ifname).map_err(|e| to_js(env, e))
}
