//! Linux network namespaces for one OS thread at a time.
//!
//! The pure-Rust core of `netns`: it opens and validates namespace files, switches the calling
//! thread with a guard that always switches back, and sets socket options. It knows nothing of
//! Node; the binding crate maps its [`Error`] to JavaScript.
//!
//! Every fd it opens is `O_CLOEXEC`. A namespace belongs to the calling thread only
//! (`setns(2)`), so the current namespace is always read from `/proc/thread-self/ns/net`.
#![deny(missing_docs)]

mod error;
mod etcview;
mod gai;
mod home;
mod lifecycle;
mod link;
mod mark;
mod netlink;
mod nsfile;
mod resolver;
mod rundir;
mod socket;
mod sockpool;
mod switch;
mod thread;
#[cfg(test)]
mod testutil;

pub use error::{Error, Result, Subject};
pub use etcview::{enter_netns_view, fingerprint, netns_etc_dir, EtcView, Fingerprint, ETC_NETNS_DIR};
pub use gai::{getaddrinfo, GaiError};
pub use lifecycle::{
    create_anonymous, create_named, delete_named, list_named, named_path, pid_ns_path, task_ns_path, validate_name,
    NAME_MAX,
};
pub use link::{add_address, add_veth, delete_link, link_index, list_links, set_link_up, Link};
pub use mark::{bind_to_device, get_mark, set_mark};
pub use nsfile::{is_ns_or_err, Identity, NetNs, NSFS_MAGIC, PROCFS_MAGIC};
pub use resolver::{lookup_in, resolver_threads, Answer, Lookup, IDLE, THREADS_MAX, THREADS_PER_VIEW};
pub use rundir::{run_dir, system_run_dir, NETNS_RUN_DIR_ENV};
pub use socket::{socket_in, Address, Family, Kind, SocketSpec, UnixPath};
pub use sockpool::{SocketPool, SOCKET_POOL_MAX};
pub use home::cached_home_fd;
pub use switch::{forget_home, identity_of_raw, restore_outermost, setns, LentFd, NsGuard};
pub use thread::{gettid, thread_ns_path, THREAD_SELF_NS_NET};

/// `CLONE_NEWNET`: the namespace type of a network namespace (`setns(2)`'s `nstype`).
pub const CLONE_NEWNET: i32 = libc::CLONE_NEWNET;

/// Closes a file descriptor (`close(2)`).
pub fn close(fd: std::os::fd::RawFd) -> Result<()> {
    nix::unistd::close(fd).map_err(|e| Error::sys(e, "close", Subject::Fd(fd)))
}
