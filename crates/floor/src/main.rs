//! `netns-floor`: times, in a plain Rust loop, the syscalls that a netns operation makes, so the
//! benchmark can report netns's cost as a ratio to this floor measured in the same run.
//!
//! Usage: `netns-floor <do|socket> <namespace path> <iterations>`; prints the mean nanoseconds per
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
        eprintln!("usage: netns-floor <do|socket> <namespace path> <iterations>");
        return ExitCode::from(2);
    };
    let op: Op<'_> = match kind.as_str() {
        "do" => Box::new(do_once),
        "socket" => Box::new(socket_once),
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
