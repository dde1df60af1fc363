//! Rootless namespaces: made and entered by the process's rootless helper, with no privilege.

use std::os::fd::IntoRawFd;

use napi::{Env, Result};
use napi_derive::napi;

use crate::args::borrow_fd;
use crate::error::to_js;
use crate::ns::{into_counted_file, NsFile};

/// Creates a network namespace owned by the calling user, with no privilege: one of the process's
/// rootless helper, which is started by the first call and ends when the last handle of its
/// namespaces closes. `ERR_NETNS_USERNS_UNAVAILABLE` where user namespaces are not available.
#[napi]
pub fn create_rootless_netns(env: &Env) -> Result<NsFile> {
    let ns = netns_core::create_rootless().map_err(|e| to_js(env, e))?;
    let mut file = into_counted_file(env, ns, String::new(), true)?;
    file.path = format!("/proc/{}/fd/{}", std::process::id(), file.fd);
    Ok(file)
}

/// The rootless helper while it runs: its pid and how many handles count it.
#[napi(object)]
pub struct RootlessHelper {
    /// The helper's pid (a child of this process).
    pub pid: i32,
    /// Open handles of its namespaces.
    pub handles: u32,
}

/// The rootless helper, or null when none runs.
#[napi]
pub fn rootless_helper() -> Option<RootlessHelper> {
    netns_core::helper_status().map(|(pid, handles)| RootlessHelper { pid, handles: handles as u32 })
}

/// Whether the namespace behind `fd` is one of the running rootless helper's.
#[napi]
pub fn is_rootless_ns(fd: i32) -> Result<bool> {
    Ok(netns_core::owns(borrow_fd(fd)?))
}

/// Two fds a child process needs to start inside the rootless namespace behind `fd`: its owner
/// user namespace and a duplicate of `fd` (both close-on-exec, the caller's to close). They name
/// the namespace for `nsenter` through `/proc/<pid>/fd/<n>` as long as the child may need them,
/// whatever becomes of the handle meanwhile.
#[napi]
pub fn rootless_child_fds(env: &Env, fd: i32) -> Result<Vec<i32>> {
    let ns = borrow_fd(fd)?;
    let userns = netns_core::owner_user_ns(ns).map_err(|e| to_js(env, e))?;
    let net = netns_core::dup(ns).map_err(|e| to_js(env, e))?;
    Ok(vec![userns.into_raw_fd(), net.into_raw_fd()])
}
