//! The `net.*` sysctls of a namespace, read and written inside it.

use napi::{Env, Result};
use napi_derive::napi;

use crate::args::borrow_fd;
use crate::error::to_js;

/// The value of the `net.*` sysctl `key` in `nsFd`, without its final newline.
#[napi]
pub fn get_sysctl(env: &Env, ns_fd: i32, key: String) -> Result<String> {
    netns_core::get_sysctl(borrow_fd(ns_fd)?, &key).map_err(|e| to_js(env, e))
}

/// Writes `value` to the `net.*` sysctl `key` in `nsFd`.
#[napi]
pub fn set_sysctl(env: &Env, ns_fd: i32, key: String, value: String) -> Result<()> {
    netns_core::set_sysctl(borrow_fd(ns_fd)?, &key, &value).map_err(|e| to_js(env, e))
}
