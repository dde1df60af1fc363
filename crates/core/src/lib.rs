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
mod helper;
mod home;
mod inside;
mod lifecycle;
mod mark;
mod netlink;
mod netwire;
mod nsfile;
mod op;
mod resolver;
mod rootless;
mod rundir;
mod socket;
mod sockpool;
mod switch;
mod sysctl;
mod userns;
mod wire;
#[cfg(test)]
mod testutil;
mod thread;

pub use error::{Error, Needed, Result, Subject, CAP_NET_ADMIN, CAP_SYS_ADMIN};
pub use etcview::{enter_netns_view, fingerprint, netns_etc_dir, EtcView, Fingerprint, ETC_NETNS_DIR};
pub use gai::{getaddrinfo, GaiError};
pub use lifecycle::{
    create_anonymous, create_named, delete_named, list_named, named_path, pid_ns_path, task_ns_path, validate_name,
    NAME_MAX,
};
// The network operations as exported run wherever their namespace can be entered (crate::inside).
pub use helper::LOOKUPS_MAX;
pub use inside::{
    add_address, add_bridge, add_route, add_rule, add_veth, delete_address, delete_link, delete_route, delete_rule,
    get_sysctl, list_addresses, list_links, list_routes, list_rules, move_link, replace_route, set_link, set_link_up,
    set_sysctl,
};
pub use op::{Op, Reply};
pub use rootless::{adopt, create_rootless, helper_status, owner_user_ns, owns, release};
pub use userns::{diagnose, enter_own_user_ns, UserNsBlock};
pub use mark::{bind_to_device, get_mark, set_mark};
pub use netlink::{
    link_index, Link, LinkAddress, LinkChanges, Route, Rule, RTN_ANYCAST, RTN_BLACKHOLE, RTN_BROADCAST, RTN_LOCAL,
    RTN_MULTICAST, RTN_PROHIBIT, RTN_THROW, RTN_UNICAST, RTN_UNREACHABLE, RT_SCOPE_HOST, RT_SCOPE_LINK,
    RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN,
};
pub use nsfile::{is_ns_or_err, Identity, NetNs, NSFS_MAGIC, PROCFS_MAGIC};
pub use resolver::{lookup_in, resolver_threads, Answer, Lookup, IDLE, THREADS_MAX, THREADS_PER_VIEW};
pub use rundir::{run_dir, system_run_dir, NETNS_RUN_DIR_ENV};
pub use socket::{socket_in, Address, Family, Kind, SocketSpec, UnixPath};
pub use sockpool::{SocketPool, ROOTLESS_FACTOR, SOCKET_POOL_MAX};
pub use home::cached_home_fd;
pub use switch::{enter_net, forget_home, identity_of_raw, restore_outermost, setns, LentFd, NsGuard};
pub use sysctl::{sysctl_path, SYSCTL_KEY_MAX};
pub use thread::{gettid, thread_ns_path, THREAD_SELF_NS_NET};

/// `CLONE_NEWNET`: the namespace type of a network namespace (`setns(2)`'s `nstype`).
pub const CLONE_NEWNET: i32 = libc::CLONE_NEWNET;

/// Closes a file descriptor (`close(2)`).
pub fn close(fd: std::os::fd::RawFd) -> Result<()> {
    nix::unistd::close(fd).map_err(|e| Error::sys(e, "close", Subject::Fd(fd)))
}

/// A close-on-exec duplicate of `fd` (`fcntl(2)` with `F_DUPFD_CLOEXEC`).
pub fn dup(fd: std::os::fd::BorrowedFd<'_>) -> Result<std::os::fd::OwnedFd> {
    use std::os::fd::AsRawFd;
    fd.try_clone_to_owned().map_err(|e| {
        Error::sys(nix::errno::Errno::from_raw(e.raw_os_error().unwrap_or(libc::EBADF)), "fcntl", Subject::Fd(fd.as_raw_fd()))
    })
}
