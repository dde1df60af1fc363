//! Namespace fds held by JS handles, per Node environment (the main thread or a worker), closed
//! when that environment is torn down: a worker that exits or is terminated runs no finalizers,
//! so without this its handles' fds (and anonymous namespaces) would live until the process ends.

use std::collections::HashMap;
use std::ffi::c_void;
use std::os::fd::RawFd;
use std::sync::{Mutex, MutexGuard};

use napi::{sys, Env};
use netns_core::Identity;

/// Open handle fds with the identity they had and whether they count the rootless helper
/// (`netns_core::adopt`), by environment (its `napi_env` as an address).
static OWNED: Mutex<Option<HashMap<usize, Held>>> = Mutex::new(None);

/// The fds of one environment: identity, and whether the fd counts the rootless helper.
type Held = HashMap<RawFd, (Identity, bool)>;

fn owned() -> MutexGuard<'static, Option<HashMap<usize, Held>>> {
    OWNED.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// Records `fd` as held by a handle of `env` (`rootless`: one that counts the rootless helper);
/// the first record of an environment registers the cleanup hook that closes whatever is still
/// recorded when it ends.
pub(crate) fn adopt(env: &Env, fd: RawFd, id: Identity, rootless: bool) {
    let key = env.raw() as usize;
    let mut all = owned();
    let envs = all.get_or_insert_with(HashMap::new);
    if !envs.contains_key(&key) {
        // SAFETY: the hook and its argument (the env's address, never dereferenced) stay valid
        // for the life of the environment.
        let status = unsafe { sys::napi_add_env_cleanup_hook(env.raw(), Some(close_all), key as *mut c_void) };
        if status != sys::Status::napi_ok {
            return; // Without a hook the fd is closed by its handle only, as before.
        }
    }
    envs.entry(key).or_default().insert(fd, (id, rootless));
}

/// Forgets `fd` once its handle closed it; a handle that counted the rootless helper uncounts it.
pub(crate) fn forget(env: &Env, fd: RawFd) {
    let record = owned().as_mut().and_then(|envs| envs.get_mut(&(env.raw() as usize))).and_then(|fds| fds.remove(&fd));
    if let Some((_, true)) = record {
        netns_core::release();
    }
}

/// The cleanup hook: closes every fd the environment's handles still hold, if it still names
/// the namespace it was opened on (a number the user closed and reused is not ours any more).
unsafe extern "C" fn close_all(arg: *mut c_void) {
    let fds = owned().as_mut().and_then(|envs| envs.remove(&(arg as usize)));
    for (fd, (id, rootless)) in fds.into_iter().flatten() {
        if netns_core::identity_of_raw(fd) == Some(id) {
            let _ = netns_core::close(fd);
        }
        if rootless {
            netns_core::release();
        }
    }
}
