//! `netns-floor`: times, in a plain Rust loop, the syscalls that a netns operation makes, so the
//! benchmark can report netns's cost as a ratio to this floor measured in the same run.
//!
//! Usage: `netns-floor <do|socket|do-cached|do-cached-checked> <namespace path> <iterations>`; prints the mean nanoseconds per
//! operation as one line of JSON.

use std::os::fd::{AsFd, OwnedFd};
use std::process::ExitCode;
use std::time::Instant;

use nix::fcntl::{open, OFlag};
use nix::sched::{setns, CloneFlags};
use nix::sys::socket::{socket, AddressFamily, SockFlag, SockType};
use nix::sys::stat::Mode;

fn open_ns(path: &str) -> nix::Result<OwnedFd> {
    open(path, OFlag::O_RDONLY | OFlag::O_CLOEXEC, Mode::empty())
}

/// What `NetNS.do(() => {})` does: open the thread's namespace, setns there, setns back, close.
fn do_once(target: &OwnedFd) -> nix::Result<()> {
    let home = open_ns("/proc/thread-self/ns/net")?;
    setns(target.as_fd(), CloneFlags::CLONE_NEWNET)?;
    setns(home.as_fd(), CloneFlags::CLONE_NEWNET)?;
    drop(home);
    Ok(())
}

/// `do_once` with the thread's own namespace fd cached (opened once by `main`) and no check at
/// all: what a cache would cost if it could trust itself (it cannot: see `do_cached_checked`).
fn do_cached(target: &OwnedFd, home: &OwnedFd) -> nix::Result<()> {
    setns(target.as_fd(), CloneFlags::CLONE_NEWNET)?;
    setns(home.as_fd(), CloneFlags::CLONE_NEWNET)
}

/// `do_cached` that first checks the cache: `stat(2)` of `/proc/thread-self/ns/net` must give the
/// cached fd's (dev, inode), or the thread was moved by someone else and the cache is stale. The
/// cached fd keeps its namespace alive, so its inode cannot be reused: equal means the same one.
fn do_cached_checked(target: &OwnedFd, home: &OwnedFd, home_id: (u64, u64)) -> nix::Result<()> {
    let st = nix::sys::stat::stat("/proc/thread-self/ns/net")?;
    #[allow(clippy::unnecessary_cast)]
    if (st.st_dev as u64, st.st_ino as u64) != home_id {
        return Err(nix::errno::Errno::ESTALE);
    }
    do_cached(target, home)
}

/// What creating a TCP socket inside a namespace does: the same switch around `socket()`.
fn socket_once(target: &OwnedFd) -> nix::Result<()> {
    let home = open_ns("/proc/thread-self/ns/net")?;
    setns(target.as_fd(), CloneFlags::CLONE_NEWNET)?;
    let sock = socket(AddressFamily::Inet, SockType::Stream, SockFlag::SOCK_CLOEXEC, None);
    setns(home.as_fd(), CloneFlags::CLONE_NEWNET)?;
    drop(sock?);
    Ok(())
}

/// One timed operation on the target namespace.
type Op<'a> = Box<dyn Fn(&OwnedFd) -> nix::Result<()> + 'a>;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().collect();
    let (Some(kind), Some(path), Some(iters)) = (args.get(1), args.get(2), args.get(3).and_then(|n| n.parse::<u32>().ok())) else {
        eprintln!("usage: netns-floor <do|socket|do-cached|do-cached-checked> <namespace path> <iterations>");
        return ExitCode::from(2);
    };
    let home = match open_ns("/proc/thread-self/ns/net") {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("netns-floor: open /proc/thread-self/ns/net: {e}");
            return ExitCode::FAILURE;
        }
    };
    let home_st = nix::sys::stat::fstat(home.as_fd()).expect("fstat of an open namespace fd");
    #[allow(clippy::unnecessary_cast)]
    let home_id = (home_st.st_dev as u64, home_st.st_ino as u64);
    let op: Op<'_> = match kind.as_str() {
        "do" => Box::new(do_once),
        "socket" => Box::new(socket_once),
        "do-cached" => Box::new(|t: &OwnedFd| do_cached(t, &home)),
        "do-cached-checked" => Box::new(|t: &OwnedFd| do_cached_checked(t, &home, home_id)),
        _ => {
            eprintln!("netns-floor: unknown operation {kind}");
            return ExitCode::from(2);
        }
    };
    let target = match open_ns(path) {
        Ok(fd) => fd,
        Err(e) => {
            eprintln!("netns-floor: open {path}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let start = Instant::now();
    for _ in 0..iters {
        if let Err(e) = op(&target) {
            eprintln!("netns-floor: {kind}: {e}");
            return ExitCode::FAILURE;
        }
    }
    let ns_per_op = start.elapsed().as_nanos() as f64 / f64::from(iters.max(1));
    println!("{{\"op\":\"{kind}\",\"iterations\":{iters},\"nsPerOp\":{ns_per_op:.1}}}");
    ExitCode::SUCCESS
}
