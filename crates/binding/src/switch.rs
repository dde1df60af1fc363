//! Switching the calling thread: the raw `setns`, and running a callback inside a namespace.

use std::os::fd::AsRawFd;

use napi::bindgen_prelude::{Function, Unknown};
use napi::{Env, Result};
use napi_derive::napi;
use netns_core::NsGuard;

use crate::args::borrow_fd;
use crate::error::to_js;

/// `setns(2)` on the calling thread: moves it into the namespace behind `fd` for good.
#[napi]
pub fn setns(env: &Env, fd: i32, nstype: i32) -> Result<()> {
    netns_core::setns(borrow_fd(fd)?, nstype).map_err(|e| to_js(env, e))
}

/// Runs `callback(hostFd)` with the calling thread inside the namespace behind `fd`, then
/// switches back before returning or rethrowing. `hostFd` is the caller's namespace, open only
/// while the callback runs.
#[napi(ts_args_type = "fd: number, callback: (hostFd: number) => unknown", ts_return_type = "unknown")]
pub fn run_in_ns<'env>(env: &'env Env, fd: i32, callback: Function<'env, i32, Unknown<'env>>) -> Result<Unknown<'env>> {
    let guard = NsGuard::enter(borrow_fd(fd)?).map_err(|e| to_js(env, e))?;
    let result = callback.call(guard.host().as_raw_fd());
    drop(guard);
    result
}
