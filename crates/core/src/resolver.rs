//! Threads of the package's own that resolve hostnames inside a network namespace, with that
//! namespace's `/etc` view (see [`crate::etcview`]), so that no caller's thread ever changes.
//!
//! Threads are grouped by view: (namespace identity, etc directory). A group starts a thread
//! when a job finds none idle (at most [`THREADS_PER_VIEW`] per view and [`THREADS_MAX`] in
//! all); a thread that has had no job for [`IDLE`] ends, and with the last thread of a view its
//! mount namespace goes away. At the limit, a job of a view with no thread waits, and an idle
//! thread of another view (or the next one to run out of work) ends to make way for it. The namespace fd a thread needs is duplicated for it and closed
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
/// At most this many resolver threads exist in the process.
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
    wake: Arc<Condvar>,
    /// The namespace, kept for the thread to come while the group waits for one: it has jobs
    /// and no thread, because [`THREADS_MAX`] threads exist.
    waiting: Option<OwnedFd>,
}

#[derive(Default)]
struct Pool {
    groups: HashMap<View, Group>,
    threads: usize,
    /// How many groups wait for a thread (see [`Group::waiting`]).
    waiting: usize,
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
/// over `/etc`'s (none when `None`). Returns at once; `job.done` is called on a resolver thread,
/// or on the calling thread when no thread can be started for it (an answer of the errno of
/// `clone`, e.g. `EAGAIN`).
///
/// When [`THREADS_MAX`] threads exist and none is in this view, the job waits: an idle thread
/// of another view ends at once to make way (or the next thread to finish its work does).
/// Fails (and `job` is dropped uncalled) only when `ns` cannot be read or duplicated (the
/// errors of `fstat` or `fcntl`). For a namespace of the rootless helper, a thread of the helper
/// resolves (see `crate::rootless`).
pub fn lookup_in(ns: BorrowedFd<'_>, etc_dir: Option<PathBuf>, job: Lookup) -> Result<()> {
    if crate::rootless::owns(ns) {
        // A namespace this process cannot enter: a thread of the rootless helper resolves.
        return crate::rootless::lookup(ns, etc_dir, job);
    }
    let view = View { ns: Identity::of(ns)?, etc_dir };
    let mut guard = lock_pool();
    let pool = guard.get_or_insert_with(Pool::default);
    let total = pool.threads;
    let group = pool.groups.entry(view.clone()).or_default();
    let wanted = group.queue.len() >= group.idle && group.threads < THREADS_PER_VIEW;
    if !wanted || (total >= THREADS_MAX && group.threads > 0) || group.waiting.is_some() {
        // An idle thread, the view's busy threads or the thread it waits for will take it.
        group.queue.push_back(job);
        group.wake.notify_one();
        return Ok(());
    }
    let ns_fd = ns.try_clone_to_owned().map_err(|e| Error::sys(errno_of(&e), "fcntl", Subject::Fd(raw(ns))))?;
    group.queue.push_back(job);
    if total >= THREADS_MAX {
        group.waiting = Some(ns_fd);
        pool.waiting += 1;
        make_way(pool, &view);
        return Ok(());
    }
    let failed = match start(view.clone(), ns_fd, group.wake.clone()) {
        Ok(()) => {
            group.threads += 1;
            pool.threads += 1;
            Vec::new()
        }
        // The threads already there will take the job.
        Err(_) if group.threads > 0 => Vec::new(),
        Err(e) => fail_group(pool, &view, &e),
    };
    drop(guard);
    answer_unstarted(failed);
    Ok(())
}

fn raw(fd: BorrowedFd<'_>) -> i32 {
    use std::os::fd::AsRawFd;
    fd.as_raw_fd()
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}

fn drop_if_unused(pool: &mut Pool, view: &View) {
    if pool.groups.get(view).is_some_and(|g| g.threads == 0 && g.queue.is_empty() && g.waiting.is_none()) {
        pool.groups.remove(view);
    }
}

/// Wakes the idle threads of one view other than `view`, if there is one: they see that a view
/// waits for a thread and the first of them ends to make way for it.
fn make_way(pool: &Pool, view: &View) {
    if let Some(group) = pool.groups.iter().find(|(v, g)| *v != view && g.idle > 0).map(|(_, g)| g) {
        group.wake.notify_all();
    }
}

/// Takes the jobs of a view that could not get a thread (and its group, and the fd it kept),
/// with what they are answered: the errno of `clone`, as `getaddrinfo`'s `EAI_SYSTEM` is.
fn fail_group(pool: &mut Pool, view: &View, e: &Error) -> Vec<(Lookup, Answer)> {
    let Some(group) = pool.groups.get_mut(view) else { return Vec::new() };
    if group.waiting.take().is_some() {
        pool.waiting -= 1;
    }
    let code = match e {
        Error::Sys { errno, .. } => format!("{errno:?}"),
        _ => "EAI_FAIL".into(),
    };
    let jobs: Vec<_> = group.queue.drain(..).map(|job| (job, Answer::Gai(GaiError { code: code.clone() }))).collect();
    drop_if_unused(pool, view);
    jobs
}

/// Calls back the jobs [`fail_group`] took, with no lock held.
fn answer_unstarted(failed: Vec<(Lookup, Answer)>) {
    for (job, answer) in failed {
        (job.done)(answer);
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

/// The body of a resolver thread: enter the view, then answer jobs until idle (or until a view
/// that waits for a thread needs its place).
fn run(view: View, ns_fd: OwnedFd, wake: Arc<Condvar>) {
    let mut entered = enter(&view, ns_fd);
    let mut guard = lock_pool();
    loop {
        let pool = guard.as_mut().expect("the pool exists while its threads run");
        let waiting = pool.waiting > 0;
        let group = pool.groups.get_mut(&view).expect("a view has a group while it has threads");
        if let Some(job) = group.queue.pop_front() {
            drop(guard);
            let answer = match &mut entered {
                Ok(etc) => resolve(etc.as_mut(), &job),
                Err(e) => Answer::Setup(e.clone()),
            };
            (job.done)(answer);
            guard = lock_pool();
            continue;
        }
        if entered.is_err() || waiting {
            // A thread that could not enter answers what was queued, then makes way for a new
            // try; an idle one makes way for a view that has no thread.
            return leave(guard, &view);
        }
        group.idle += 1;
        let (g, waited) = wake.wait_timeout(guard, IDLE).unwrap_or_else(|p| p.into_inner());
        guard = g;
        let pool = guard.as_mut().expect("the pool exists while its threads run");
        let group = pool.groups.get_mut(&view).expect("a view has a group while it has threads");
        group.idle -= 1;
        if waited.timed_out() && group.queue.is_empty() {
            return leave(guard, &view);
        }
    }
}

/// How many times a lookup is tried when the files under its view keep changing while it runs.
const TRIES: usize = 3;

/// Answers `job` in the thread's view: the view is made again first if its files changed, and
/// an answer is given only if no file under the view changed while `getaddrinfo` read them
/// (else it could come from the host's file); after [`TRIES`] such changes, `EAI_AGAIN`.
fn resolve(mut etc: Option<&mut EtcView>, job: &Lookup) -> Answer {
    for _ in 0..TRIES {
        if let Some(view) = etc.as_deref_mut() {
            if let Err(e) = view.refresh() {
                return Answer::Setup(e);
            }
        }
        let answer = match getaddrinfo(&job.host, job.family, job.flags) {
            Ok(found) => Answer::Found(found),
            Err(e) => Answer::Gai(e),
        };
        if etc.as_deref().is_none_or(EtcView::intact) {
            return answer;
        }
    }
    Answer::Gai(GaiError { code: "EAI_AGAIN".into() })
}

/// Ends the calling thread's part in `view`; its place goes to a view that waits for a thread.
fn leave(mut guard: MutexGuard<'static, Option<Pool>>, view: &View) {
    let pool = guard.as_mut().expect("the pool exists while its threads run");
    pool.threads -= 1;
    if let Some(group) = pool.groups.get_mut(view) {
        group.threads -= 1;
    }
    drop_if_unused(pool, view);
    let mut failed = Vec::new();
    while pool.waiting > 0 && pool.threads < THREADS_MAX {
        let Some((next, group)) = pool.groups.iter_mut().find(|(_, g)| g.waiting.is_some()) else { break };
        let next = next.clone();
        let ns_fd = group.waiting.take().expect("found waiting");
        pool.waiting -= 1;
        match start(next.clone(), ns_fd, group.wake.clone()) {
            Ok(()) => {
                group.threads += 1;
                pool.threads += 1;
                break;
            }
            Err(e) => failed.extend(fail_group(pool, &next, &e)),
        }
    }
    drop(guard);
    answer_unstarted(failed);
}

/// Gives the calling (resolver) thread the view's `/etc`, then moves it into the namespace.
fn enter(view: &View, ns_fd: OwnedFd) -> Result<Option<EtcView>> {
    let etc = view.etc_dir.as_deref().map(EtcView::enter).transpose()?;
    crate::switch::enter_net(ns_fd.as_fd())?;
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
