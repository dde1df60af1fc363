//! Switching the calling thread: the raw `setns`, and running a callback inside a namespace.

use std::cell::RefCell;
use std::ptr;

use napi::bindgen_prelude::{Function, Unknown};
use napi::{check_status, sys, Env, Error, JsValue, Result, Status};
use napi_derive::napi;
use netns_core::{LentFd, NsGuard};

use crate::args::borrow_fd;
use crate::error::to_js;

/// `setns(2)` on the calling thread: moves it into the namespace behind `fd` for good.
#[napi]
pub fn setns(env: &Env, fd: i32, nstype: i32) -> Result<()> {
    netns_core::setns(borrow_fd(fd)?, nstype).map_err(|e| to_js(env, e))?;
    netns_core::forget_home();
    Ok(())
}

/// A `runInNs` in progress on this thread: its guard, and the duplicate of the caller's
/// namespace fd lent to the callback, if it asked for one.
struct Frame {
    guard: NsGuard,
    lent: Option<LentFd>,
}

thread_local! {
    /// The `runInNs` calls in progress on this thread, outermost first.
    static FRAMES: RefCell<Vec<Frame>> = const { RefCell::new(Vec::new()) };
}

/// Runs `callback(depth)` with the calling thread inside the namespace behind `fd`, then
/// switches back before returning or rethrowing. `depth` names this call for `lendHostFd`,
/// which gives the callback the caller's namespace if it wants it: a duplicate, so that
/// closing it cannot cut the way back, and made only when asked for.
///
/// What the callback throws stays the pending exception, untouched: no error object is made
/// from it, so a `RangeError` for a full JS stack propagates even when there is no stack left.
#[napi(ts_args_type = "fd: number, callback: (depth: number) => unknown", ts_return_type = "unknown")]
pub fn run_in_ns<'env>(env: &'env Env, fd: i32, callback: Function<'env, i32, Unknown<'env>>) -> Result<Unknown<'env>> {
    let guard = NsGuard::enter(borrow_fd(fd)?).map_err(|e| to_js(env, e))?;
    let depth = FRAMES.with_borrow_mut(|frames| {
        frames.push(Frame { guard, lent: None });
        frames.len() - 1
    });
    let result = call(env, callback, depth as i32);
    let frame = FRAMES.with_borrow_mut(|frames| frames.pop());
    if let Some(Frame { guard, lent }) = frame {
        if let Some(lent) = lent {
            lent.reclaim();
        }
        drop(guard);
    }
    result
}

/// The caller's namespace fd for the `runInNs` call at `depth` on this thread (a duplicate,
/// made at the first request and closed when that call returns).
#[napi]
pub fn lend_host_fd(env: &Env, depth: i32) -> Result<i32> {
    FRAMES.with_borrow_mut(|frames| {
        let Some(frame) = usize::try_from(depth).ok().and_then(|d| frames.get_mut(d)) else {
            return Err(Error::new(Status::InvalidArg, format!("no runInNs call at depth {depth} on this thread")));
        };
        if frame.lent.is_none() {
            frame.lent = Some(frame.guard.lend_host().map_err(|e| to_js(env, e))?);
        }
        Ok(frame.lent.as_ref().map_or(-1, LentFd::as_raw_fd))
    })
}

/// `callback(arg)` through Node-API directly. On a throw the exception is left pending and the
/// error returned is `PendingException`, which napi-rs passes on without touching it (its own
/// `Function::call` turns the exception into a Rust error, which at the JS stack limit recurses
/// until the native stack overflows).
fn call<'env>(env: &'env Env, callback: Function<'env, i32, Unknown<'env>>, arg: i32) -> Result<Unknown<'env>> {
    let raw_env = env.raw();
    let mut this = ptr::null_mut();
    let mut raw_arg = ptr::null_mut();
    let mut raw_result = ptr::null_mut();
    // SAFETY: plain Node-API calls on the env and values of the current call.
    let status = unsafe {
        check_status!(sys::napi_get_undefined(raw_env, &mut this))?;
        check_status!(sys::napi_create_int32(raw_env, arg, &mut raw_arg))?;
        sys::napi_call_function(raw_env, this, callback.value().value, 1, &raw_arg, &mut raw_result)
    };
    if status == sys::Status::napi_ok {
        // SAFETY: napi_call_function succeeded, so raw_result is a value of this env.
        return Ok(unsafe { Unknown::from_raw_unchecked(raw_env, raw_result) });
    }
    let mut pending = false;
    // SAFETY: a query of the env's state.
    unsafe { sys::napi_is_exception_pending(raw_env, &mut pending) };
    if pending {
        return Err(Error::new(Status::PendingException, String::new()));
    }
    Err(Error::new(Status::from(status), "calling the callback failed".to_owned()))
}

/// Switches the calling thread back to the namespace it was in before its outermost active
/// `runInNs` (or any other switch of this package), if one is active; returns whether one was.
/// For `'exit'` handlers that run while a callback of `runInNs` called `process.exit()`.
#[napi]
pub fn restore_thread_ns(env: &Env) -> Result<bool> {
    netns_core::restore_outermost().map_err(|e| to_js(env, e))
}

/// The calling thread's cached namespace fd (the way back of its switches, opened at its first
/// switch and closed when the thread ends), or `null`: one fd per thread that has switched,
/// which counts of the process's fds leave out.
#[napi]
pub fn cached_home_fd() -> Option<i32> {
    netns_core::cached_home_fd()
}
