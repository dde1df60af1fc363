//! Opening, validating and identifying namespace files.

use std::os::fd::AsFd;
use std::path::Path;

use napi::{Env, Result};
use napi_derive::napi;
use netns_core::{Identity, NetNs};

use crate::args::borrow_fd;
use crate::error::to_js;
use crate::owned;

/// An open namespace file: the fd (owned by the caller from now on) and its identity.
#[napi(object)]
pub struct NsFile {
    /// The open, close-on-exec file descriptor.
    pub fd: i32,
    /// Device number of the namespace file.
    pub dev: i64,
    /// Inode number of the namespace.
    pub ino: i64,
    /// The path it was opened from (for the calling thread: `/proc/<pid>/task/<tid>/ns/net`).
    pub path: String,
    /// Whether it is a namespace of the rootless helper (this process cannot enter it; the helper
    /// makes what must be made inside).
    pub rootless: bool,
}

/// The identity of a namespace: device and inode of its nsfs file.
#[napi(object)]
pub struct NsIdentity {
    /// Device number of the namespace file.
    pub dev: i64,
    /// Inode number of the namespace.
    pub ino: i64,
}

/// Hands an open namespace to JS: its fd (now the caller's), identity and path. A namespace of
/// the rootless helper counts the helper until the handle closes.
pub(crate) fn into_file(env: &Env, ns: NetNs, path: String) -> Result<NsFile> {
    let rootless = netns_core::adopt(ns.as_fd());
    into_counted_file(env, ns, path, rootless)
}

/// [`into_file`] for a namespace known to count the rootless helper (`rootless`) or not.
pub(crate) fn into_counted_file(env: &Env, ns: NetNs, path: String, rootless: bool) -> Result<NsFile> {
    let id = match ns.identity() {
        Ok(id) => id,
        Err(e) => {
            if rootless {
                netns_core::release();
            }
            return Err(to_js(env, e));
        }
    };
    let fd = ns.into_raw_fd();
    owned::adopt(env, fd, id, rootless);
    Ok(NsFile { fd, dev: id.dev as i64, ino: id.ino as i64, path, rootless })
}

/// Throws unless `path` exists on nsfs or procfs (the Go `ns.IsNSorErr`).
#[napi]
pub fn is_ns_or_err(env: &Env, path: String) -> Result<()> {
    netns_core::is_ns_or_err(Path::new(&path)).map_err(|e| to_js(env, e))
}

/// Opens the network namespace at `path`, refusing files that are not one.
#[napi]
pub fn open_ns(env: &Env, path: String) -> Result<NsFile> {
    let ns = NetNs::open(Path::new(&path)).map_err(|e| to_js(env, e))?;
    into_file(env, ns, path)
}

/// Opens the calling thread's network namespace.
#[napi]
pub fn open_current_ns(env: &Env) -> Result<NsFile> {
    let ns = NetNs::current().map_err(|e| to_js(env, e))?;
    into_file(env, ns, netns_core::thread_ns_path())
}

/// The identity of the namespace behind `fd`.
#[napi]
pub fn ns_identity(env: &Env, fd: i32) -> Result<NsIdentity> {
    let id = Identity::of(borrow_fd(fd)?).map_err(|e| to_js(env, e))?;
    Ok(NsIdentity { dev: id.dev as i64, ino: id.ino as i64 })
}

/// Closes a file descriptor that this package opened (a handle's fd is then no longer closed
/// when its environment ends).
#[napi]
pub fn close_fd(env: &Env, fd: i32) -> Result<()> {
    borrow_fd(fd)?;
    owned::forget(env, fd);
    nix_close(fd).map_err(|e| to_js(env, e))
}

fn nix_close(fd: i32) -> netns_core::Result<()> {
    netns_core::close(fd)
}

/// The kernel thread id of the calling thread.
#[napi]
pub fn gettid() -> i32 {
    netns_core::gettid()
}
