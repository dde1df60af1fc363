//! The rootless helper process: a fork of the calling process that runs only this crate's code,
//! in a user namespace of its own, and makes what must be made inside that namespace's network
//! namespaces (sockets, links, lookups) for the process that started it.
//!
//! A multi-threaded process (Node) can neither create nor join a user namespace, and `setns(2)`
//! into a network namespace needs `CAP_SYS_ADMIN` in the caller's own user namespace. The forked
//! child is single-threaded: it unshares `CLONE_NEWUSER` (or joins the user namespace of an
//! earlier helper), maps its uid and gid to 0, and so holds every capability over the namespaces
//! it makes. It then answers requests ([`Op`]) on a `SOCK_SEQPACKET` channel until the channel
//! reaches end of file: when its parent closes it, or dies, by whatever signal.
//!
//! After the fork it is careful as a child of a multi-threaded process must be: it closes every
//! fd but the channel at once (`close_range(2)`), resets every signal to its default, makes its
//! own session (no terminal's Ctrl-C reaches it), never takes a lock another thread of the parent
//! may have held (it reads no environment variable and writes to no std stream; its threads get an
//! explicit stack size), and ends with `_exit(2)`.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use nix::errno::Errno;
use nix::sched::CloneFlags;
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use nix::unistd::{fork, getegid, geteuid, getpid, ForkResult, Pid};

use crate::error::{Error, Result, Subject};
use crate::etcview::EtcView;
use crate::gai::getaddrinfo;
use crate::op::{borrowed, encode_answer, encode_outcome, Op, Reply};
use crate::resolver::Answer;
use crate::wire::{self, Reader, Writer};

/// The fd number of the channel in the helper.
const CHANNEL_FD: RawFd = 3;
/// The most lookups the helper runs at once (one thread each).
pub const LOOKUPS_MAX: usize = 64;

/// A helper that started and said so.
pub(crate) struct Started {
    /// The parent's end of the channel (close-on-exec).
    pub chan: OwnedFd,
    /// The helper's pid, a child of the calling process.
    pub pid: Pid,
    /// The helper's user namespace.
    pub userns: OwnedFd,
}

/// A new `SOCK_SEQPACKET` socket pair, both ends close-on-exec.
pub(crate) fn seqpacket_pair() -> Result<(OwnedFd, OwnedFd)> {
    socketpair(AddressFamily::Unix, SockType::SeqPacket, None, SockFlag::SOCK_CLOEXEC)
        .map_err(|e| Error::sys(e, "socketpair", Subject::None))
}

/// Forks the helper, which makes a user namespace of its own, or joins `join` (the user
/// namespace of an earlier helper), and waits until it says it is ready, or why it could not
/// be. On an error nothing is left: the child is reaped and the channel closed.
pub(crate) fn start(join: Option<BorrowedFd<'_>>) -> Result<Started> {
    let (parent_end, child_end) = seqpacket_pair()?;
    let (uid, gid) = (geteuid().as_raw(), getegid().as_raw());
    let parent = getpid();
    let on_main_thread = crate::thread::gettid() == parent.as_raw();
    let join_fd = join.map(|fd| fd.as_raw_fd());
    // SAFETY: the child only runs `child_main`, which takes no lock another thread may hold
    // and ends with _exit; see the module's comment.
    match unsafe { fork() } {
        Err(e) => Err(Error::sys(e, "fork", Subject::None)),
        Ok(ForkResult::Child) => {
            let chan = child_end.as_raw_fd();
            std::mem::forget(child_end);
            std::mem::forget(parent_end);
            child_main(chan, join_fd, uid, gid, parent, on_main_thread)
        }
        Ok(ForkResult::Parent { child }) => {
            drop(child_end);
            let ready = hello(parent_end.as_fd());
            match ready {
                Ok(userns) => Ok(Started { chan: parent_end, pid: child, userns }),
                Err(e) => {
                    drop(parent_end);
                    reap(child);
                    Err(e)
                }
            }
        }
    }
}

/// Reads the helper's first message: its user namespace, or the error that stopped it.
fn hello(chan: BorrowedFd<'_>) -> Result<OwnedFd> {
    let mut buf = Vec::new();
    let Some(mut fds) = wire::recv(chan, &mut buf)? else {
        return Err(Error::sys(Errno::ECHILD, "fork", wire::channel()));
    };
    crate::op::decode_outcome(&mut Reader::new(&buf))??;
    if fds.is_empty() {
        return Err(wire::garbled());
    }
    Ok(fds.remove(0))
}

/// Stops the helper for good: `SIGKILL`, then `waitpid(2)` so that no zombie is left.
pub(crate) fn reap(pid: Pid) {
    // SAFETY: a signal to our own child, which is not reaped yet, so its pid is not reused.
    unsafe { libc::kill(pid.as_raw(), libc::SIGKILL) };
    while let Err(Errno::EINTR) = nix::sys::wait::waitpid(pid, None) {}
}

fn exit(code: i32) -> ! {
    // SAFETY: _exit ends the process at once, running nothing of the parent's (no atexit).
    unsafe { libc::_exit(code) }
}

/// The helper, from the fork on. Never returns.
fn child_main(chan: RawFd, join: Option<RawFd>, uid: u32, gid: u32, parent: Pid, on_main_thread: bool) -> ! {
    reset_signals();
    let join = isolate_fds(chan, join);
    // SAFETY: plain syscalls with no memory arguments.
    unsafe {
        libc::setsid();
        // PR_SET_PDEATHSIG fires when the *thread* that forked dies: only the main thread lives
        // as long as the process. End of file on the channel is the signal that always comes.
        if on_main_thread {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
        }
    }
    if nix::unistd::getppid() != parent {
        exit(0);
    }
    // SAFETY: the channel's number, kept by isolate_fds.
    let chan = unsafe { BorrowedFd::borrow_raw(CHANNEL_FD) };
    let ready = match join {
        // SAFETY: fd 4 is the user namespace kept above.
        Some(fd) => join_user_ns(unsafe { OwnedFd::from_raw_fd(fd) }),
        None => crate::userns::enter_own_user_ns(uid, gid),
    }
    // A network namespace of the helper's own, so that a thread that entered one of its
    // namespaces can switch back (it holds no capability over its parent's network namespace).
    .and_then(|()| nix::sched::unshare(CloneFlags::CLONE_NEWNET).map_err(|e| Error::sys(e, "unshare", Subject::None)))
    .and_then(|()| open_own("/proc/self/ns/user"));
    let mut w = Writer::default();
    match ready {
        Ok(userns) => {
            encode_outcome(&mut w, &Ok(Reply::Done));
            let _ = wire::send(chan, &w.0, &[userns.as_fd()]);
        }
        Err(e) => {
            encode_outcome(&mut w, &Err(e));
            let _ = wire::send(chan, &w.0, &[]);
            exit(0);
        }
    }
    serve(chan)
}

/// Joins the user namespace `fd` (of an earlier helper, whose owner is this process's uid).
fn join_user_ns(fd: OwnedFd) -> Result<()> {
    crate::switch::setns(fd.as_fd(), libc::CLONE_NEWUSER)
}

fn open_own(path: &str) -> Result<OwnedFd> {
    nix::fcntl::open(path, nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC, nix::sys::stat::Mode::empty())
        .map_err(|e| Error::sys(e, "open", Subject::Path(path.into())))
}

/// Every signal back to its default action and unblocked: the parent's handlers (Node's, libuv's)
/// are not the helper's to run.
fn reset_signals() {
    for sig in 1..libc::SIGRTMAX() {
        if sig != libc::SIGKILL && sig != libc::SIGSTOP {
            // SAFETY: SIG_DFL for a signal number; invalid numbers fail harmlessly.
            unsafe { libc::signal(sig, libc::SIG_DFL) };
        }
    }
    // SAFETY: an empty set, built and applied by libc.
    unsafe {
        let mut set = std::mem::zeroed::<libc::sigset_t>();
        libc::sigemptyset(&mut set);
        libc::sigprocmask(libc::SIG_SETMASK, &set, std::ptr::null_mut());
    }
}

/// Keeps the channel (as fd 3) and the user namespace to join (as fd 4, returned), closes every
/// other fd, and puts `/dev/null` on 0, 1 and 2: the helper holds nothing of its parent's, and
/// nothing it opens later can take the number of a standard stream.
fn isolate_fds(chan: RawFd, join: Option<RawFd>) -> Option<RawFd> {
    // SAFETY: fd-number syscalls on this (single-threaded) process's own table.
    unsafe {
        // Out of the way first (numbers >= 10), so that neither lands on the other's new number.
        let chan = libc::fcntl(chan, libc::F_DUPFD, 10);
        let join = join.map(|fd| libc::fcntl(fd, libc::F_DUPFD, 10));
        libc::dup2(chan, CHANNEL_FD);
        let kept = join.map(|fd| {
            libc::dup2(fd, CHANNEL_FD + 1);
            CHANNEL_FD + 1
        });
        let keep_below = kept.map_or(CHANNEL_FD + 1, |fd| fd + 1);
        for fd in 0..3 {
            libc::close(fd);
        }
        if libc::syscall(libc::SYS_close_range, keep_below as libc::c_uint, libc::c_uint::MAX, 0) != 0 {
            // Before Linux 5.9: close what /proc lists.
            let open: Vec<RawFd> = std::fs::read_dir("/proc/self/fd")
                .map(|d| d.flatten().filter_map(|e| e.file_name().to_str()?.parse().ok()).collect())
                .unwrap_or_default();
            for fd in open.into_iter().filter(|fd| *fd >= keep_below) {
                libc::close(fd);
            }
        }
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null == 0 {
            libc::dup2(0, 1);
            libc::dup2(0, 2);
        }
        kept
    }
}

/// Answers requests until the channel ends.
fn serve(chan: BorrowedFd<'_>) -> ! {
    let mut buf = Vec::new();
    loop {
        let fds = match wire::recv(chan, &mut buf) {
            Ok(Some(fds)) => fds,
            _ => exit(0),
        };
        let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            Op::decode(&mut Reader::new(&buf)).and_then(|op| op.run_here(&borrowed(&fds)))
        }))
        .unwrap_or_else(|_| Err(Error::sys(Errno::EIO, "helper", wire::channel())));
        drop(fds);
        let (reply, made) = match outcome {
            Ok((reply, made)) => (Ok(reply), made),
            Err(e) => (Err(e), Vec::new()),
        };
        let mut w = Writer::default();
        encode_outcome(&mut w, &reply);
        if wire::send(chan, &w.0, &borrowed(&made)).is_err() {
            exit(0);
        }
        // The helper's copies of what it made close now: the parent holds the only ones.
        drop(made);
    }
}

static LOOKUPS: AtomicUsize = AtomicUsize::new(0);

/// Starts a thread of the helper that resolves `host` inside `ns`, with the files of `etc_dir`
/// over `/etc` (in a mount namespace of the thread's own), and sends the [`Answer`] on `reply`.
pub(crate) fn lookup_thread(
    ns: BorrowedFd<'_>,
    reply: BorrowedFd<'_>,
    host: String,
    family: u8,
    flags: i32,
    etc_dir: Option<PathBuf>,
) -> Result<()> {
    let dup = |fd: BorrowedFd<'_>| fd.try_clone_to_owned().map_err(|e| Error::sys(errno_of(&e), "fcntl", Subject::Fd(fd.as_raw_fd())));
    let (ns, reply) = (dup(ns)?, dup(reply)?);
    if LOOKUPS.fetch_add(1, Ordering::AcqRel) >= LOOKUPS_MAX {
        LOOKUPS.fetch_sub(1, Ordering::AcqRel);
        return Err(Error::sys(Errno::EAGAIN, "clone", Subject::None));
    }
    let spawned = std::thread::Builder::new()
        // glibc's resolver and NSS modules keep buffers on the stack.
        .stack_size(512 * 1024)
        .spawn(move || {
            let answer = match resolve_inside(ns, etc_dir, &host, family, flags) {
                Ok(found) => found,
                Err(e) => Answer::Setup(e),
            };
            let mut w = Writer::default();
            encode_answer(&mut w, &answer);
            let _ = wire::send(reply.as_fd(), &w.0, &[]);
            LOOKUPS.fetch_sub(1, Ordering::AcqRel);
        });
    spawned.map(|_| ()).map_err(|e| {
        LOOKUPS.fetch_sub(1, Ordering::AcqRel);
        Error::sys(errno_of(&e), "clone", Subject::None)
    })
}

fn resolve_inside(ns: OwnedFd, etc_dir: Option<PathBuf>, host: &str, family: u8, flags: i32) -> Result<Answer> {
    let _view = etc_dir.as_deref().map(EtcView::enter).transpose()?;
    crate::switch::setns(ns.as_fd(), libc::CLONE_NEWNET)?;
    Ok(match getaddrinfo(host, family, flags) {
        Ok(found) => Answer::Found(found),
        Err(e) => Answer::Gai(e),
    })
}

fn errno_of(e: &std::io::Error) -> Errno {
    Errno::from_raw(e.raw_os_error().unwrap_or(libc::EIO))
}
