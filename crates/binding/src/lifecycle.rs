//! Creating, listing and deleting network namespaces, and opening them by name, pid or thread.

use std::path::{Path, PathBuf};

use napi::{Env, Result};
use napi_derive::napi;

use crate::error::to_js;
use crate::ns::{into_file, NsFile};

fn dir(run_dir: Option<String>) -> PathBuf {
    run_dir.map(PathBuf::from).unwrap_or_else(netns_core::run_dir)
}

/// The run directory of the system (`/run/netns`, or `/var/run/netns` where only that exists),
/// without looking at `NETNS_RUN_DIR`.
#[napi]
pub fn system_run_dir() -> String {
    netns_core::system_run_dir().to_string_lossy().into_owned()
}

/// Creates a network namespace (the calling thread unshares and switches back before it
/// returns) and returns it open. With a
/// `name`, it is persisted as `ip netns add` does, in `runDir` (default: the core's run dir).
#[napi]
pub fn create_netns(env: &Env, name: Option<String>, run_dir: Option<String>) -> Result<NsFile> {
    match name {
        None => {
            let ns = netns_core::create_anonymous().map_err(|e| to_js(env, e))?;
            // An anonymous namespace has no file of its own: name it by the fd that holds it.
            let mut file = into_file(env, ns, String::new())?;
            file.path = format!("/proc/{}/fd/{}", std::process::id(), file.fd);
            Ok(file)
        }
        Some(name) => {
            let dir = dir(run_dir);
            let ns = netns_core::create_named(&dir, &name).map_err(|e| to_js(env, e))?;
            into_file(env, ns, dir.join(&name).to_string_lossy().into_owned())
        }
    }
}

/// Deletes the named namespace `name` from `runDir` as `ip netns del` does.
#[napi]
pub fn delete_netns(env: &Env, name: String, run_dir: Option<String>) -> Result<()> {
    netns_core::delete_named(&dir(run_dir), &name).map_err(|e| to_js(env, e))
}

/// The names of the named namespaces in `runDir`, sorted: the live ones, or with `withStale`
/// every entry, as `ip netns list` prints them.
#[napi]
pub fn list_netns(env: &Env, run_dir: Option<String>, with_stale: Option<bool>) -> Result<Vec<String>> {
    netns_core::list_named(&dir(run_dir), with_stale.unwrap_or(false)).map_err(|e| to_js(env, e))
}

/// The path of the named namespace `name` in `runDir`, after checking the name.
#[napi]
pub fn named_ns_path(env: &Env, name: String, run_dir: Option<String>) -> Result<String> {
    let path = netns_core::named_path(&dir(run_dir), &name).map_err(|e| to_js(env, e))?;
    Ok(path.to_string_lossy().into_owned())
}

/// `/proc/<pid>/ns/net`.
#[napi]
pub fn pid_ns_path(pid: i32) -> String {
    path_string(&netns_core::pid_ns_path(pid))
}

/// `/proc/<pid>/task/<tid>/ns/net`.
#[napi]
pub fn task_ns_path(pid: i32, tid: i32) -> String {
    path_string(&netns_core::task_ns_path(pid, tid))
}

fn path_string(p: &Path) -> String {
    p.to_string_lossy().into_owned()
}
