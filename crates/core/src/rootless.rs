//! Rootless network namespaces: namespaces owned by the calling user, made and entered by the
//! process's rootless helper ([`crate::helper`]), with no privilege at all.
//!
//! One helper per process, started by the first [`create_rootless`]. Every rootless namespace of
//! the process lives in the helper's user namespace, so they can be wired to each other. The
//! process holds an fd of each (its handles), and the helper none: each request carries the fds
//! it acts on, and what the helper makes (sockets, namespaces) comes back as fds, whose helper
//! copies are closed at once. The helper is counted by the handles that hold its namespaces
//! ([`adopt`], [`release`]): when the last is released it is stopped and reaped. Sockets and
//! children made in its namespaces do not need it: they hold their namespace themselves.
//!
//! If the helper dies between requests (someone killed it), the next request starts a new one
//! that joins the same user namespace, so the namespaces already made stay reachable.

use std::os::fd::{AsFd, AsRawFd, BorrowedFd, FromRawFd, OwnedFd};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Mutex, MutexGuard};

use nix::errno::Errno;
use nix::unistd::Pid;

use crate::error::{Error, Result, Subject};
use crate::helper;
use crate::nsfile::{Identity, NetNs};
use crate::op::{decode_answer, decode_outcome, Op, Reply};
use crate::resolver::{Answer, Lookup};
use crate::socket::{Family, Kind};
use crate::wire::{self, Reader, Writer};

nix::ioctl_none!(ns_get_userns, 0xb7, 0x1);

/// The process's side of its helper.
struct Client {
    chan: OwnedFd,
    pid: Pid,
    userns: OwnedFd,
    /// Open handles of the helper's namespaces.
    handles: usize,
}

static CLIENT: Mutex<Option<Client>> = Mutex::new(None);
/// Whether a helper runs: the fast path of [`owns`] when none does.
static RUNNING: AtomicBool = AtomicBool::new(false);
/// The identity of the helper's user namespace while one runs.
static USERNS_DEV: AtomicU64 = AtomicU64::new(0);
static USERNS_INO: AtomicU64 = AtomicU64::new(0);

fn lock() -> MutexGuard<'static, Option<Client>> {
    // No code that can panic runs while the lock is held.
    CLIENT.lock().unwrap_or_else(|p| p.into_inner())
}

/// The user namespace that owns the namespace `ns` (`ioctl(NS_GET_USERNS)`, `ioctl_ns(2)`).
pub fn owner_user_ns(ns: BorrowedFd<'_>) -> Result<OwnedFd> {
    // SAFETY: the ioctl takes no argument and returns a new fd or fails.
    let fd = unsafe { ns_get_userns(ns.as_raw_fd()) }.map_err(|e| Error::sys(e, "ioctl", Subject::Fd(ns.as_raw_fd())))?;
    // SAFETY: a fresh fd the kernel made for us.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// Whether `ns` is a namespace of the running helper (its owner is the helper's user namespace),
/// which this process cannot enter. Costs nothing while no helper runs.
pub fn owns(ns: BorrowedFd<'_>) -> bool {
    if !RUNNING.load(Ordering::Acquire) {
        return false;
    }
    let Ok(owner) = owner_user_ns(ns).and_then(|fd| Identity::of(fd.as_fd())) else { return false };
    owner == Identity { dev: USERNS_DEV.load(Ordering::Acquire), ino: USERNS_INO.load(Ordering::Acquire) }
}

impl Client {
    fn start(join: Option<BorrowedFd<'_>>, handles: usize) -> Result<Client> {
        let started = helper::start(join)?;
        let id = Identity::of(started.userns.as_fd())?;
        USERNS_DEV.store(id.dev, Ordering::Release);
        USERNS_INO.store(id.ino, Ordering::Release);
        RUNNING.store(true, Ordering::Release);
        Ok(Client { chan: started.chan, pid: started.pid, userns: started.userns, handles })
    }

    /// Sends `op` with `fds`, and reads the outcome and the fds that came back. A helper found
    /// gone before the request is replaced by a new one in the same user namespace, once.
    fn call(&mut self, op: &Op, fds: &[BorrowedFd<'_>]) -> Result<(Reply, Vec<OwnedFd>)> {
        let mut w = Writer::default();
        op.encode(&mut w);
        if let Err(e) = wire::send(self.chan.as_fd(), &w.0, fds) {
            if !matches!(e.errno(), Some(Errno::EPIPE | Errno::ECONNRESET | Errno::ECONNREFUSED | Errno::ENOTCONN)) {
                return Err(e);
            }
            let next = Client::start(Some(self.userns.as_fd()), self.handles)?;
            helper::reap(std::mem::replace(self, next).pid);
            wire::send(self.chan.as_fd(), &w.0, fds)?;
        }
        let mut buf = Vec::new();
        let Some(made) = wire::recv(self.chan.as_fd(), &mut buf)? else {
            return Err(Error::sys(Errno::ECONNRESET, "recvmsg", wire::channel()));
        };
        let reply = decode_outcome(&mut Reader::new(&buf))??;
        Ok((reply, made))
    }
}

fn stop(client: Client) {
    RUNNING.store(false, Ordering::Release);
    let Client { chan, pid, userns, .. } = client;
    drop(chan);
    drop(userns);
    helper::reap(pid);
}

/// Creates a network namespace owned by the calling user, in the helper's user namespace
/// (starting the helper if none runs), and counts its handle ([`release`] uncounts it).
///
/// Where user namespaces are not available this is [`Error::UserNsUnavailable`], and nothing is
/// left behind (the helper that tried is reaped).
pub fn create_rootless() -> Result<NetNs> {
    let mut guard = lock();
    let client = match guard.as_mut() {
        Some(client) => client,
        None => guard.insert(Client::start(None, 0)?),
    };
    let made = client.call(&Op::Create, &[]);
    let made = made.and_then(|(_, mut fds)| if fds.is_empty() { Err(wire::garbled()) } else { Ok(fds.remove(0)) });
    match made {
        Ok(fd) => {
            client.handles += 1;
            Ok(NetNs::from_owned(fd))
        }
        Err(e) => {
            if client.handles == 0 {
                stop(guard.take().expect("the client is there"));
            }
            Err(e)
        }
    }
}

/// Counts one more handle of `ns` if it is a namespace of the running helper; returns whether.
pub fn adopt(ns: BorrowedFd<'_>) -> bool {
    if !owns(ns) {
        return false;
    }
    match lock().as_mut() {
        Some(client) => {
            client.handles += 1;
            true
        }
        None => false,
    }
}

/// Uncounts a handle counted by [`create_rootless`] or [`adopt`]; the last one stops the helper.
pub fn release() {
    let mut guard = lock();
    if let Some(client) = guard.as_mut() {
        client.handles = client.handles.saturating_sub(1);
        if client.handles == 0 {
            stop(guard.take().expect("the client is there"));
        }
    }
}

/// The helper's pid and how many handles count it, while it runs.
pub fn helper_status() -> Option<(i32, usize)> {
    lock().as_ref().map(|c| (c.pid.as_raw(), c.handles))
}

/// Runs `op` in the helper, with `fds` (the namespace first).
pub fn call(op: &Op, fds: &[BorrowedFd<'_>]) -> Result<(Reply, Vec<OwnedFd>)> {
    match lock().as_mut() {
        Some(client) => client.call(op, fds),
        None => Err(Error::sys(Errno::ENOENT, "sendmsg", wire::channel())),
    }
}

/// `count` plain sockets of `family` and `kind` made by the helper in its namespace `ns`.
pub(crate) fn sockets(ns: BorrowedFd<'_>, family: Family, kind: Kind, count: usize) -> Result<Vec<OwnedFd>> {
    let (_, fds) = call(&Op::Sockets { family, kind, count: count as u32 }, &[ns])?;
    if fds.is_empty() {
        return Err(wire::garbled());
    }
    Ok(fds)
}

/// Queues `job` for a thread of the helper inside its namespace `ns`, with `etc_dir`'s files over
/// `/etc`. A fresh socket pair carries the answer, so the channel is free at once; a thread of
/// this process waits for it and calls `job.done` (with a setup error if the helper ends first).
pub(crate) fn lookup(ns: BorrowedFd<'_>, etc_dir: Option<PathBuf>, job: Lookup) -> Result<()> {
    let (mine, theirs) = helper::seqpacket_pair()?;
    let op = Op::Lookup { host: job.host.clone(), family: job.family, flags: job.flags, etc_dir };
    call(&op, &[ns, theirs.as_fd()])?;
    drop(theirs);
    let done = job.done;
    std::thread::Builder::new()
        .name("netns-rootless-lookup".into())
        .stack_size(64 * 1024)
        .spawn(move || {
            let mut buf = Vec::new();
            let answer = match wire::recv(mine.as_fd(), &mut buf) {
                Ok(Some(_)) => decode_answer(&mut Reader::new(&buf)).unwrap_or_else(Answer::Setup),
                Ok(None) => Answer::Setup(Error::sys(Errno::ECONNRESET, "recvmsg", wire::channel())),
                Err(e) => Answer::Setup(e),
            };
            done(answer);
        })
        .map(|_| ())
        .map_err(|e| Error::sys(Errno::from_raw(e.raw_os_error().unwrap_or(libc::EAGAIN)), "clone", Subject::None))
}

impl Op {
    /// Runs the operation where its namespace (`fds[0]`) can be entered: in the helper for a
    /// rootless namespace, on the calling thread otherwise.
    pub fn run(self, fds: &[BorrowedFd<'_>]) -> Result<(Reply, Vec<OwnedFd>)> {
        match fds.first() {
            Some(ns) if owns(*ns) => call(&self, fds),
            _ => self.run_here(fds),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::socket::{socket_in, Address, SocketSpec};
    use crate::testutil::{port_of, socket_ns_inode};
    use std::sync::mpsc;

    fn alive(pid: i32) -> bool {
        // Not reaped yet: a zombie counts as gone.
        std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|s| !s.contains(") Z "))
    }

    /// One test for the whole life of a helper: the helper is process-wide state.
    #[test]
    fn a_helper_makes_namespaces_sockets_links_and_lookups_and_ends_with_its_last_handle() {
        let here = NetNs::current().unwrap().identity().unwrap();
        let a = create_rootless().unwrap();
        let b = create_rootless().unwrap();
        let (pid, handles) = helper_status().unwrap();
        assert_eq!(handles, 2);
        assert!(alive(pid));
        assert_ne!(a.identity().unwrap(), here);
        assert_ne!(a.identity().unwrap(), b.identity().unwrap());
        assert!(owns(a.as_fd()) && owns(b.as_fd()));
        assert!(!owns(NetNs::current().unwrap().as_fd()));
        // Both are owned by one user namespace, which is not this process's.
        let owner = |ns: &NetNs| Identity::of(owner_user_ns(ns.as_fd()).unwrap().as_fd()).unwrap();
        assert_eq!(owner(&a), owner(&b));
        let mine = Identity::of(open_own_user_ns().as_fd()).unwrap();
        assert_ne!(owner(&a), mine);

        // Devices: lo, set up; a veth pair across the two.
        let links = crate::list_links(a.as_fd()).unwrap();
        assert_eq!(links.iter().map(|l| (l.name.as_str(), l.index, l.up)).collect::<Vec<_>>(), [("lo", 1, false)]);
        crate::set_link_up(a.as_fd(), "lo", true).unwrap();
        crate::add_veth(a.as_fd(), "ra", "rb", Some(b.as_fd())).unwrap();
        crate::add_address(a.as_fd(), "ra", "10.9.0.1".parse().unwrap(), 30).unwrap();
        let e = crate::add_address(a.as_fd(), "ra", "10.9.0.1".parse().unwrap(), 30).unwrap_err();
        assert_eq!((e.errno(), e.clone().with_detail(None)), (Some(Errno::EEXIST), Error::sys(Errno::EEXIST, "RTM_NEWADDR", Subject::Name("ra".into()))));
        assert!(crate::list_links(b.as_fd()).unwrap().iter().any(|l| l.name == "rb"));
        crate::delete_link(b.as_fd(), "rb").unwrap();
        assert!(!crate::list_links(a.as_fd()).unwrap().iter().any(|l| l.name == "ra"));

        // The rest of the network, through the helper: a bridge, a change of a link, a move from
        // one namespace to the other (renamed), addresses, routes (with the kernel's detail on a
        // refusal), rules and sysctls.
        crate::add_bridge(a.as_fd(), "rbr").unwrap();
        crate::add_veth(a.as_fd(), "rm0", "rm1", None).unwrap();
        let changes = crate::LinkChanges { mtu: Some(1400), master: Some(Some("rbr".into())), ..Default::default() };
        crate::set_link(a.as_fd(), "rm0", &changes).unwrap();
        let rm0 = crate::list_links(a.as_fd()).unwrap().into_iter().find(|l| l.name == "rm0").unwrap();
        assert_eq!((rm0.mtu, rm0.master.as_deref()), (1400, Some("rbr")));
        crate::move_link(a.as_fd(), "rm1", b.as_fd(), Some("moved")).unwrap();
        assert!(!crate::list_links(a.as_fd()).unwrap().iter().any(|l| l.name == "rm1"));
        assert!(crate::list_links(b.as_fd()).unwrap().iter().any(|l| l.name == "moved"));
        let ip = |text: &str| text.parse::<std::net::IpAddr>().unwrap();
        crate::add_address(b.as_fd(), "moved", ip("10.9.1.2"), 24).unwrap();
        crate::set_link_up(b.as_fd(), "moved", true).unwrap();
        let found = crate::list_addresses(b.as_fd(), Some("moved")).unwrap();
        assert_eq!(found.iter().map(|a| (a.address, a.prefix_len)).collect::<Vec<_>>(), [(ip("10.9.1.2"), 24)]);
        let default = crate::Route { gateway: Some(ip("10.9.1.1")), ..crate::Route::to(ip("0.0.0.0"), 0) };
        crate::add_route(b.as_fd(), &default).unwrap();
        let routes = crate::list_routes(b.as_fd(), Some(false), Some(crate::RT_TABLE_MAIN)).unwrap();
        let via_moved = |r: &crate::Route| r.gateway == default.gateway && r.dev.as_deref() == Some("moved");
        assert!(routes.iter().any(|r| r.dst_len == 0 && via_moved(r)));
        let off_link = crate::Route { gateway: Some(ip("10.77.0.1")), ..crate::Route::to(ip("10.78.0.0"), 16) };
        let e = crate::add_route(b.as_fd(), &off_link).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::ENETUNREACH));
        assert!(matches!(e, Error::Sys { syscall: "RTM_NEWROUTE", detail: Some(_), .. }), "{e:?}");
        crate::delete_route(b.as_fd(), &default).unwrap();
        let rule = crate::Rule {
            v6: false,
            priority: Some(100),
            table: 100,
            fwmark: Some(42),
            fwmask: None,
            src: None,
            dst: None,
        };
        crate::add_rule(b.as_fd(), &rule).unwrap();
        let listed = crate::list_rules(b.as_fd()).unwrap();
        assert!(listed.iter().any(|r| r.priority == Some(100) && r.fwmark == Some(42) && r.table == 100));
        crate::delete_rule(b.as_fd(), &rule).unwrap();
        assert_eq!(crate::get_sysctl(b.as_fd(), "net.ipv4.ip_forward").unwrap(), "0");
        crate::set_sysctl(b.as_fd(), "net.ipv4.ip_forward", "1").unwrap();
        assert_eq!(crate::get_sysctl(b.as_fd(), "net.ipv4.ip_forward").unwrap(), "1");
        assert_eq!(crate::get_sysctl(a.as_fd(), "net.ipv4.ip_forward").unwrap(), "0");
        crate::delete_address(b.as_fd(), "moved", ip("10.9.1.2"), 24).unwrap();
        crate::delete_link(b.as_fd(), "moved").unwrap();

        // Sockets: made in the namespace, set up here (the bind is the namespace's).
        let mut spec = SocketSpec::new(Family::Inet, Kind::Stream);
        spec.bind = Some(Address::Ip("127.0.0.1:0".parse().unwrap()));
        spec.listen = Some(8);
        let listener = socket_in(Some(a.as_fd()), &spec).unwrap();
        assert_eq!(socket_ns_inode(listener.as_fd()), a.identity().unwrap().ino);
        assert_ne!(port_of(listener.as_fd()), 0);
        let mut pool = crate::SocketPool::new(b.as_fd()).unwrap();
        let plain = SocketSpec::new(Family::Inet6, Kind::Datagram);
        for _ in 0..3 {
            let fd = pool.take(b.as_fd(), &plain, 4).unwrap();
            assert_eq!(socket_ns_inode(fd.as_fd()), b.identity().unwrap().ino);
        }
        let brought = 4 * crate::sockpool::ROOTLESS_FACTOR;
        assert_eq!(pool.spares(), brought - 1, "the second socket brought 4 x 4 spares, the third took one");
        drop(pool);

        // A lookup resolves inside, with the answer on its own socket pair.
        let (tx, rx) = mpsc::channel();
        let job = Lookup { host: "127.0.0.1".into(), family: 0, flags: 0, done: Box::new(move |a| tx.send(a).unwrap()) };
        crate::lookup_in(a.as_fd(), None, job).unwrap();
        assert_eq!(rx.recv().unwrap(), Answer::Found(vec!["127.0.0.1".parse().unwrap()]));

        // A helper killed between requests is replaced, in the same user namespace.
        // SAFETY: a signal to our own child.
        unsafe { libc::kill(pid, libc::SIGKILL) };
        std::thread::sleep(std::time::Duration::from_millis(50));
        assert_eq!(crate::list_links(a.as_fd()).unwrap()[0].name, "lo");
        let (next, _) = helper_status().unwrap();
        assert_ne!(next, pid);
        assert!(!alive(pid), "the killed helper was reaped");
        assert_eq!(owner(&a), owner(&b));

        // Another handle of a rootless namespace counts too.
        let again = NetNs::open(std::path::Path::new(&format!("/proc/self/fd/{}", a.as_fd().as_raw_fd()))).unwrap();
        assert!(adopt(again.as_fd()));
        assert_eq!(helper_status().unwrap().1, 3);
        for _ in 0..3 {
            release();
        }
        assert_eq!(helper_status(), None);
        assert!(!alive(next), "the last release stops and reaps the helper");
        assert!(!owns(a.as_fd()));
        // The namespaces live on while their fds do.
        assert_eq!(socket_ns_inode(listener.as_fd()), a.identity().unwrap().ino);
    }

    fn open_own_user_ns() -> OwnedFd {
        nix::fcntl::open("/proc/self/ns/user", nix::fcntl::OFlag::O_RDONLY | nix::fcntl::OFlag::O_CLOEXEC, nix::sys::stat::Mode::empty())
            .unwrap()
    }
}
