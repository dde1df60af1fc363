//! Hostname lookups inside a namespace, answered from a resolver thread of the core.

use std::path::PathBuf;

use napi::bindgen_prelude::Object;
use napi::{Env, Result};
use napi_derive::napi;
use netns_core::{Answer, Error as CoreError, Lookup};

use crate::args::borrow_fd;
use crate::error::to_js;

/// One address found, as `dns.lookup` gives it with `all: true`.
#[napi(object)]
pub struct LookupAddress {
    /// The address, in its usual text form.
    pub address: String,
    /// 4 or 6.
    pub family: u32,
}

/// What a lookup answered: the addresses in `getaddrinfo`'s order, or an error code.
#[napi(object)]
pub struct LookupAnswer {
    /// The addresses found (empty on an error).
    pub addresses: Vec<LookupAddress>,
    /// On an error: the `EAI_*` name, or an errno name (`EAI_SYSTEM`, or a failed setup).
    pub code: Option<String>,
    /// On a failed setup of the resolver thread: the system call that failed.
    pub syscall: Option<String>,
    /// On a failed setup: the negated errno, as Node's system errors carry it.
    pub errno: Option<i32>,
    /// On a failed setup: the core's message, naming the path involved.
    pub message: Option<String>,
    /// On a setup refused for lack of a capability: its name, e.g. `CAP_SYS_ADMIN`.
    pub capability: Option<String>,
}

fn answer_to_js(answer: Answer) -> LookupAnswer {
    let mut out =
        LookupAnswer { addresses: Vec::new(), code: None, syscall: None, errno: None, message: None, capability: None };
    match answer {
        Answer::Found(found) => {
            out.addresses = found
                .into_iter()
                .map(|ip| LookupAddress { address: ip.to_string(), family: if ip.is_ipv4() { 4 } else { 6 } })
                .collect();
        }
        Answer::Gai(e) => out.code = Some(e.code),
        Answer::Setup(e) => {
            out.message = Some(e.to_string());
            out.capability = e.missing_capability().map(|n| n.capability.to_string());
            if let CoreError::Sys { errno, syscall, .. } = &e {
                out.code = Some(format!("{errno:?}"));
                out.syscall = Some((*syscall).to_string());
                out.errno = Some(-(*errno as i32));
            } else {
                out.code = Some("EAI_FAIL".into());
            }
        }
    }
    out
}

/// Resolves `host` with `getaddrinfo` (`family` 0, 4 or 6; `flags` the `AI_*` hints) on a
/// resolver thread inside the namespace behind `fd`, with the files of `etcDir` over `/etc`'s.
/// The promise always fulfils: errors come back as `code` (the event loop and the libuv pool
/// are never blocked or switched). Throws only when no resolver thread can be started.
#[napi(ts_return_type = "Promise<LookupAnswer>")]
pub fn lookup_in_ns<'env>(
    env: &'env Env,
    fd: i32,
    etc_dir: Option<String>,
    host: String,
    family: u32,
    flags: i32,
) -> Result<Object<'env>> {
    let ns = borrow_fd(fd)?;
    let (deferred, promise) = env.create_deferred::<LookupAnswer, _>()?;
    let done = Box::new(move |answer: Answer| {
        let js = answer_to_js(answer);
        deferred.resolve(move |_env| Ok(js));
    });
    let job = Lookup { host, family: family.min(6) as u8, flags, done };
    netns_core::lookup_in(ns, etc_dir.map(PathBuf::from), job).map_err(|e| to_js(env, e))?;
    Ok(promise)
}

/// The number of resolver threads alive now (they end after a while without lookups).
#[napi]
pub fn resolver_threads() -> u32 {
    netns_core::resolver_threads() as u32
}

/// How many resolver threads the process may have at once (their views' lookups queue beyond).
#[napi]
pub fn resolver_threads_max() -> u32 {
    netns_core::THREADS_MAX as u32
}

/// `/etc/netns/<name>`: where `ip netns exec` finds the files of the named namespace `name`.
#[napi]
pub fn netns_etc_dir(env: &Env, name: String) -> Result<String> {
    netns_core::validate_name(&name).map_err(|e| to_js(env, e))?;
    Ok(netns_core::netns_etc_dir(&name).to_string_lossy().into_owned())
}


/// Gives the calling worker thread the view `ip netns exec` gives a command: a mount namespace of
/// its own with the files of `etcDir` over `/etc`'s and a `/sys` of its network namespace. Refused
/// (`EPERM`) on the process's main thread, which must never unshare its file-system attributes.
#[napi]
pub fn enter_netns_view(env: &Env, etc_dir: Option<String>) -> Result<()> {
    netns_core::enter_netns_view(etc_dir.as_deref().map(std::path::Path::new)).map_err(|e| to_js(env, e))
}
