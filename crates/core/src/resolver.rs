//! Threads of the package's own that resolve hostnames inside a network namespace, with that
//! namespace's `/etc` view (see [`crate::etcview`]), so that no caller's thread ever changes.
//!
//! Threads are grouped by view: (namespace identity, etc directory). A group starts a thread
//! when a job finds none idle (at most [`THREADS_PER_VIEW`] per view and [`THREADS_MAX`] in
//! all; at that bound, an idle thread of another view is asked to end to make room, so only
//! [`THREADS_MAX`] busy threads make a new view wait); a thread that has had no job for
//! [`IDLE`] ends, and with the last thread of a view its mount namespace goes away. The namespace fd a thread needs is duplicated for it and closed
//! once it has entered.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::Duration;

use nix::errno::Errno;

use crate::error::{Error, Result, Subject};
use crate::etcview::EtcView;
use crate::gai::{getaddrinfo, GaiError};
use crate::nsfile::Identity;

/// How long a resolver thread waits for another job before it ends.
pub const IDLE: Duration = Duration::from_secs(2);
/// At most this many threads resolve in one view at once.
pub const THREADS_PER_VIEW: usize = 4;
/// At most this many resolver threads exist in the process (besides idle ones on their way out):
/// enough that lookups spread over a hundred namespaces keep a warm thread in each.
pub const THREADS_MAX: usize = 128;

/// What a lookup answers: addresses in `getaddrinfo`'s order, or why there are none.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// The addresses found.
    Found(Vec<IpAddr>),
    /// `getaddrinfo` failed.
    Gai(GaiError),
    /// The thread could not enter the view (a failed `unshare`, `mount` or `setns`).
    Setup(Error),
}

/// One hostname to resolve and what to do with the answer (called on the resolver thread).
pub struct Lookup {
    /// The hostname.
    pub host: String,
    /// 0 (any), 4 or 6.
    pub family: u8,
    /// `AI_*` flags.
    pub flags: i32,
    /// Receives the answer, on the resolver thread.
    pub done: Box<dyn FnOnce(Answer) + Send>,
}

#[derive(Clone, PartialEq, Eq, Hash)]
struct View {
    ns: Identity,
    etc_dir: Option<PathBuf>,
}

#[derive(Default)]
struct Group {
    queue: VecDeque<Lookup>,
    threads: usize,
    idle: usize,
    /// Idle threads asked to end, to make room for another view's.
    retire: usize,
    wake: Arc<Condvar>,
}

#[derive(Default)]
struct Pool {
    groups: HashMap<View, Group>,
    threads: usize,
}

static POOL: Mutex<Option<Pool>> = Mutex::new(None);

fn lock_pool() -> MutexGuard<'static, Option<Pool>> {
    // A panic never happens while the lock is held (no user code runs under it).
    POOL.lock().unwrap_or_else(|p| p.into_inner())
}

/// The number of resolver threads alive now.
pub fn resolver_threads() -> usize {
    lock_pool().as_ref().map_or(0, |p| p.threads)
}

/// Queues `job` for a resolver thread inside the network namespace `ns`, with `etc_dir`'s files
/// over `/etc`'s (none when `None`). Returns at once; `job.done` is called on that thread.
/// Fails (and `job` is dropped uncalled) only when no thread can be started: `EAGAIN` when
/// [`THREADS_MAX`] are busy elsewhere (none idle), or the errors of `fstat`, `fcntl` or `clone`.
pub fn lookup_in(ns: BorrowedFd<'_>, etc_dir: Option<PathBuf>, job: Lookup) -> Result<()> {
    let view = View { ns: Identity::of(ns)?, etc_dir };
    let mut guard = lock_pool();
    let pool = guard.get_or_insert_with(Pool::default);
    let mut total = pool.threads;
    if total >= THREADS_MAX && pool.groups.get(&view).is_none_or(|g| g.threads == 0) {
        if !retire_one_idle(pool) {
            drop_if_unused(pool, &view);
            return Err(Error::sys(Errno::EAGAIN, "clone", Subject::None));
        }
        total = THREADS_MAX - 1;
    }
    let group = pool.groups.entry(view.clone()).or_default();
    let must_start = group.queue.len() >= group.idle && group.threads < THREADS_PER_VIEW;
    group.queue.push_back(job);
    if !must_start || total >= THREADS_MAX {
        group.wake.notify_one();
        return Ok(());
    }
    let ns_fd = ns.try_clone_to_owned().map_err(|e| Error::sys(errno_of(&e), "fcntl", Subject::Fd(raw(ns))))?;
    match start(view.clone(), ns_fd, group.wake.clone()) {
        Ok(()) => {
            group.threads += 1;
            pool.threads += 1;
            Ok(())
        }
        Err(e) if group.threads == 0 => {
            group.queue.pop_back();
            drop_if_unused(pool, &view);
            Err(e)
        }
        // The threads already there will take the job.
        Err(_) => Ok(()),
    }
}

fn raw(fd: BorrowedFd<'_>) -> i32 {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

/// Asks one idle thread (of any view) to end; false if every thread is busy or already asked.
fn retire_one_idle(pool: &mut Pool) -> bool {
    let Some(group) = pool.groups.values_mut().find(|g| g.idle > g.retire) else {
        return false;
    };
    group.retire += 1;
    group.wake.notify_all();
    true
}

fn drop_if_unused(pool: &mut Pool, view: &View) {
    if pool.groups.get(view).is_some_and(|g| g.threads == 0 && g.queue.is_empty()) {
        pool.groups.remove(view);
    }
}

fn start(view: View, ns_fd: OwnedFd, wake: Arc<Condvar>) -> Result<()> {
    std::thread::Builder::new()
        .name("netns-resolver".into())
        // glibc's resolver and NSS modules keep buffers on the stack.
        .stack_size(512 * 1024)
        .spawn(move || run(view, ns_fd, wake))
        .map(|_| ())
        .map_err(|e| Error::sys(errno_of(&e), "clone", Subject::None))
}

/// The body of a resolver thread: enter the view, then answer jobs until idle.
fn run(view: View, ns_fd: OwnedFd, wake: Arc<Condvar>) {
    let mut entered = enter(&view, ns_fd);
    let mut guard = lock_pool();
    loop {
        let pool = guard.as_mut().expect("the pool exists while its threads run");
        let group = pool.groups.get_mut(&view).expect("a view has a group while it has threads");
        if let Some(job) = group.queue.pop_front() {
            drop(guard);
            let answer = match &mut entered {
                Ok(etc) => match etc.as_mut().map(EtcView::refresh).transpose() {
                    Err(e) => Answer::Setup(e),
                    Ok(_) => match getaddrinfo(&job.host, job.family, job.flags) {
                        Ok(found) => Answer::Found(found),
                        Err(e) => Answer::Gai(e),
                    },
                },
                Err(e) => Answer::Setup(e.clone()),
            };
            (job.done)(answer);
            guard = lock_pool();
            continue;
        }
        if entered.is_err() {
            // A thread that could not enter answers what was queued, then makes way for a new try.
            return leave(guard, &view);
        }
        if group.retire > 0 {
            // Asked to make room for another view's thread.
            group.retire -= 1;
            return leave(guard, &view);
        }
        group.idle += 1;
        let (g, waited) = wake.wait_timeout(guard, IDLE).unwrap_or_else(|p| p.into_inner());
        guard = g;
        let pool = guard.as_mut().expect("the pool exists while its threads run");
        let group = pool.groups.get_mut(&view).expect("a view has a group while it has threads");
        group.idle -= 1;
        if waited.timed_out() && group.queue.is_empty() {
            // Ending anyway: a request to make room is met by this thread too.
            group.retire = group.retire.saturating_sub(1);
            return leave(guard, &view);
        }
    }
}

fn leave(mut guard: MutexGuard<'static, Option<Pool>>, view: &View) {
    let pool = guard.as_mut().expect("the pool exists while its threads run");
    pool.threads -= 1;
    if let Some(group) = pool.groups.get_mut(view) {
        group.threads -= 1;
    }
    drop_if_unused(pool, view);
}

/// Gives the calling (resolver) thread the view's `/etc`, then moves it into the namespace.
fn enter(view: &View, ns_fd: OwnedFd) -> Result<Option<EtcView>> {
    let etc = view.etc_dir.as_deref().map(EtcView::enter).transpose()?;
    crate::switch::setns(ns_fd.as_fd(), libc::CLONE_NEWNET)?;
    Ok(etc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::nsfile::NetNs;
    use std::sync::mpsc;

    #[test]
    fn resolves_in_the_namespace_and_threads_end_when_idle() {
        let ns = NetNs::current().unwrap();
        let (tx, rx) = mpsc::channel();
        for _ in 0..20 {
            let tx = tx.clone();
            let job = Lookup { host: "127.0.0.1".into(), family: 0, flags: 0, done: Box::new(move |a| tx.send(a).unwrap()) };
            lookup_in(ns.as_fd(), None, job).unwrap();
        }
        for _ in 0..20 {
            assert_eq!(rx.recv().unwrap(), Answer::Found(vec!["127.0.0.1".parse().unwrap()]));
        }
        assert!(resolver_threads() <= THREADS_PER_VIEW);
        std::thread::sleep(IDLE + Duration::from_millis(500));
        assert_eq!(resolver_threads(), 0);
    }
}
