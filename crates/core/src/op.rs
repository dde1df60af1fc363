//! The operations that must run inside a namespace, as values: what the rootless helper is asked
//! to do, and what it answers. [`Op::run`] runs one on the calling thread, or, for a namespace of
//! the rootless helper (which this process cannot enter), in the helper.
//!
//! Adding an operation: a variant of [`Op`], its two arms in [`Op::encode`] and [`Op::decode`],
//! its arm in [`Op::run_here`] (a call of the core function), and a wrapper in
//! [`crate::inside`]. The fds an operation acts on travel beside it: the namespace first.

use std::net::IpAddr;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::path::PathBuf;

use nix::errno::Errno;

use crate::error::{Error, Result, Subject};
use crate::gai::GaiError;
use crate::netlink::{self as link, Link};
use crate::resolver::Answer;
use crate::socket::{Family, Kind};
use crate::userns::UserNsBlock;
use crate::wire::{garbled, Reader, Writer};

/// An operation, with its arguments; its fds are passed beside it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Op {
    /// A new network namespace, answered as one fd.
    Create,
    /// `count` plain sockets (close-on-exec, non-blocking, no option set) made in `fds[0]` in
    /// one switch; the first must be made, fewer spares are no error.
    Sockets {
        /// The address family.
        family: Family,
        /// Stream or datagram.
        kind: Kind,
        /// How many.
        count: u32,
    },
    /// [`crate::list_links`] of `fds[0]`.
    ListLinks,
    /// [`crate::set_link_up`] in `fds[0]`.
    SetLinkUp {
        /// The device.
        name: String,
        /// Up or down.
        up: bool,
    },
    /// [`crate::add_address`] in `fds[0]`.
    AddAddress {
        /// The device.
        name: String,
        /// The address.
        addr: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
    },
    /// [`crate::add_veth`] in `fds[0]`, the peer in `fds[1]` if there is one.
    AddVeth {
        /// The device in `fds[0]`.
        name: String,
        /// The peer device.
        peer_name: String,
    },
    /// [`crate::delete_link`] in `fds[0]`.
    DeleteLink {
        /// The device.
        name: String,
    },
    /// Resolves `host` in `fds[0]` with `etc_dir`'s files over `/etc`, on a thread of its own; the
    /// [`Answer`] is sent on the socket `fds[1]`, and the operation itself answers at once.
    Lookup {
        /// The hostname.
        host: String,
        /// 0, 4 or 6.
        family: u8,
        /// `AI_*` flags.
        flags: i32,
        /// The etc directory of the view, if any.
        etc_dir: Option<PathBuf>,
    },
}

/// What an operation answers besides its fds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Done; any result is in the fds.
    Done,
    /// The links of a namespace.
    Links(Vec<Link>),
}

impl Reply {
    /// The links of a [`Reply::Links`]; `EPROTO` for another reply.
    pub fn links(self) -> Result<Vec<Link>> {
        match self {
            Reply::Links(links) => Ok(links),
            Reply::Done => Err(garbled()),
        }
    }
}

fn family_code(f: Family) -> u8 {
    match f {
        Family::Inet => 4,
        Family::Inet6 => 6,
        Family::Unix => 1,
    }
}

fn family_of(code: u8) -> Result<Family> {
    match code {
        4 => Ok(Family::Inet),
        6 => Ok(Family::Inet6),
        1 => Ok(Family::Unix),
        _ => Err(garbled()),
    }
}

fn put_ip(w: &mut Writer, ip: &IpAddr) {
    match ip {
        IpAddr::V4(a) => w.u8(4).bytes(&a.octets()),
        IpAddr::V6(a) => w.u8(6).bytes(&a.octets()),
    };
}

fn get_ip(r: &mut Reader<'_>) -> Result<IpAddr> {
    let family = r.u8()?;
    let bytes = r.bytes()?;
    match family {
        4 => <[u8; 4]>::try_from(bytes).map(IpAddr::from).map_err(|_| garbled()),
        6 => <[u8; 16]>::try_from(bytes).map(IpAddr::from).map_err(|_| garbled()),
        _ => Err(garbled()),
    }
}

impl Op {
    /// Writes the operation as bytes.
    pub(crate) fn encode(&self, w: &mut Writer) {
        match self {
            Op::Create => w.u8(0),
            Op::Sockets { family, kind, count } => {
                w.u8(1).u8(family_code(*family)).u8(matches!(kind, Kind::Datagram) as u8).u32(*count)
            }
            Op::ListLinks => w.u8(2),
            Op::SetLinkUp { name, up } => w.u8(3).str(name).u8(*up as u8),
            Op::AddAddress { name, addr, prefix_len } => {
                w.u8(4).str(name);
                put_ip(w, addr);
                w.u8(*prefix_len)
            }
            Op::AddVeth { name, peer_name } => w.u8(5).str(name).str(peer_name),
            Op::DeleteLink { name } => w.u8(6).str(name),
            Op::Lookup { host, family, flags, etc_dir } => {
                w.u8(7).str(host).u8(*family).i32(*flags).opt_str(etc_dir.as_deref().and_then(|p| p.to_str()))
            }
        };
    }

    /// Reads what [`Op::encode`] wrote.
    pub(crate) fn decode(r: &mut Reader<'_>) -> Result<Op> {
        Ok(match r.u8()? {
            0 => Op::Create,
            1 => Op::Sockets {
                family: family_of(r.u8()?)?,
                kind: if r.bool()? { Kind::Datagram } else { Kind::Stream },
                count: r.u32()?,
            },
            2 => Op::ListLinks,
            3 => Op::SetLinkUp { name: r.string()?, up: r.bool()? },
            4 => Op::AddAddress { name: r.string()?, addr: get_ip(r)?, prefix_len: r.u8()? },
            5 => Op::AddVeth { name: r.string()?, peer_name: r.string()? },
            6 => Op::DeleteLink { name: r.string()? },
            7 => Op::Lookup { host: r.string()?, family: r.u8()?, flags: r.i32()?, etc_dir: r.opt_path()? },
            _ => return Err(garbled()),
        })
    }

    /// Runs the operation on the calling thread, which must be able to enter the namespaces in
    /// `fds` (the helper's, for its own namespaces). Answers the reply and the fds made.
    pub fn run_here(self, fds: &[BorrowedFd<'_>]) -> Result<(Reply, Vec<OwnedFd>)> {
        let ns = || fds.first().copied().ok_or_else(|| Error::sys(Errno::EBADF, "setns", Subject::None));
        let done = |fds: Vec<OwnedFd>| Ok((Reply::Done, fds));
        match self {
            Op::Create => done(vec![crate::lifecycle::create_anonymous()?.into_owned()]),
            Op::Sockets { family, kind, count } => {
                done(crate::sockpool::make_batch(ns()?, family, kind, count as usize)?)
            }
            Op::ListLinks => Ok((Reply::Links(link::list_links(ns()?)?), Vec::new())),
            Op::SetLinkUp { name, up } => done(link::set_link_up(ns()?, &name, up).map(|()| Vec::new())?),
            Op::AddAddress { name, addr, prefix_len } => {
                done(link::add_address(ns()?, &name, addr, prefix_len).map(|()| Vec::new())?)
            }
            Op::AddVeth { name, peer_name } => {
                done(link::add_veth(ns()?, &name, &peer_name, fds.get(1).copied()).map(|()| Vec::new())?)
            }
            Op::DeleteLink { name } => done(link::delete_link(ns()?, &name).map(|()| Vec::new())?),
            Op::Lookup { host, family, flags, etc_dir } => {
                let (ns, reply) = (ns()?, fds.get(1).ok_or_else(|| Error::sys(Errno::EBADF, "sendmsg", Subject::None))?);
                crate::helper::lookup_thread(ns, *reply, host, family, flags, etc_dir)?;
                done(Vec::new())
            }
        }
    }
}

/// Writes the outcome of an operation: 0 and the reply, or 1 and the error.
pub(crate) fn encode_outcome(w: &mut Writer, outcome: &Result<Reply>) {
    match outcome {
        Ok(Reply::Done) => {
            w.u8(0).u8(0);
        }
        Ok(Reply::Links(links)) => {
            w.u8(0).u8(1).u32(links.len() as u32);
            for l in links {
                w.str(&l.name).u32(l.index).u8(l.up as u8).u32(l.mtu);
                w.opt_str(l.address.as_deref()).opt_str(l.kind.as_deref()).opt_str(l.master.as_deref());
                w.u32(l.tx_queue_len);
            }
        }
        Err(e) => {
            w.u8(1);
            put_error(w, e);
        }
    }
}

/// Reads what [`encode_outcome`] wrote.
pub(crate) fn decode_outcome(r: &mut Reader<'_>) -> Result<Result<Reply>> {
    if r.u8()? == 1 {
        return Ok(Err(get_error(r)?));
    }
    Ok(Ok(match r.u8()? {
        0 => Reply::Done,
        1 => {
            let n = r.u32()? as usize;
            let mut links = Vec::with_capacity(n.min(4096));
            for _ in 0..n {
                links.push(Link {
                    name: r.string()?,
                    index: r.u32()?,
                    up: r.bool()?,
                    mtu: r.u32()?,
                    address: r.opt_string()?,
                    kind: r.opt_string()?,
                    master: r.opt_string()?,
                    tx_queue_len: r.u32()?,
                });
            }
            Reply::Links(links)
        }
        _ => return Err(garbled()),
    }))
}

/// Writes the answer of a lookup.
pub(crate) fn encode_answer(w: &mut Writer, answer: &Answer) {
    match answer {
        Answer::Found(ips) => {
            w.u8(0).u32(ips.len() as u32);
            for ip in ips {
                put_ip(w, ip);
            }
        }
        Answer::Gai(e) => {
            w.u8(1).str(&e.code);
        }
        Answer::Setup(e) => {
            w.u8(2);
            put_error(w, e);
        }
    }
}

/// Reads what [`encode_answer`] wrote.
pub(crate) fn decode_answer(r: &mut Reader<'_>) -> Result<Answer> {
    Ok(match r.u8()? {
        0 => {
            let n = r.u32()? as usize;
            let mut ips = Vec::with_capacity(n.min(1024));
            for _ in 0..n {
                ips.push(get_ip(r)?);
            }
            Answer::Found(ips)
        }
        1 => Answer::Gai(GaiError { code: r.string()? }),
        2 => Answer::Setup(get_error(r)?),
        _ => return Err(garbled()),
    })
}

/// The names of system calls and requests the core reports, so that an error read from the
/// helper keeps its `&'static str`; a name not listed is kept once per process.
const SYSCALLS: &[&str] = &[
    "bind", "clone", "close", "connect", "fcntl", "flock", "fork", "fstat", "fstatfs", "getsockopt", "ioctl",
    "listen", "mkdir", "mount", "open", "readlink", "recvfrom", "recvmsg", "sendmsg", "sendto", "setns",
    "setsockopt", "socket", "socketpair", "statfs", "umount2", "unlink", "unshare", "write", "RTM_DELLINK",
    "RTM_GETLINK", "RTM_NEWADDR", "RTM_NEWLINK",
];

fn static_name(name: String) -> &'static str {
    static SEEN: std::sync::Mutex<Vec<&'static str>> = std::sync::Mutex::new(Vec::new());
    if let Some(known) = SYSCALLS.iter().find(|s| **s == name) {
        return known;
    }
    let mut seen = SEEN.lock().unwrap_or_else(|p| p.into_inner());
    if let Some(known) = seen.iter().find(|s| **s == name) {
        return known;
    }
    let leaked: &'static str = Box::leak(name.into_boxed_str());
    seen.push(leaked);
    leaked
}

const BLOCKS: [UserNsBlock; 4] =
    [UserNsBlock::MaxUserNamespaces, UserNsBlock::UnprivilegedUsernsClone, UserNsBlock::AppArmor, UserNsBlock::Other];

fn put_error(w: &mut Writer, e: &Error) {
    match e {
        Error::Sys { errno, syscall, subject, detail } => {
            w.u8(0).i32(*errno as i32).str(syscall);
            match subject {
                Subject::None => w.u8(0),
                Subject::Path(p) => w.u8(1).str(&p.to_string_lossy()),
                Subject::Fd(fd) => w.u8(2).i32(*fd),
                Subject::Name(n) => w.u8(3).str(n),
            };
            w.opt_str(detail.as_deref());
        }
        Error::UserNsUnavailable { errno, syscall, cause } => {
            let cause = BLOCKS.iter().position(|b| b == cause).unwrap_or(3) as u8;
            w.u8(1).i32(*errno as i32).str(syscall).u8(cause);
        }
        // The helper's operations fail with system errors only; anything else keeps its text.
        other => {
            w.u8(0).i32(Errno::EIO as i32).str("helper").u8(3).str(&other.to_string()).opt_str(None);
        }
    }
}

fn get_error(r: &mut Reader<'_>) -> Result<Error> {
    let kind = r.u8()?;
    let errno = Errno::from_raw(r.i32()?);
    let syscall = static_name(r.string()?);
    if kind == 1 {
        let cause = *BLOCKS.get(r.u8()? as usize).ok_or_else(garbled)?;
        return Ok(Error::UserNsUnavailable { errno, syscall, cause });
    }
    let subject = match r.u8()? {
        0 => Subject::None,
        1 => Subject::Path(r.string()?.into()),
        2 => Subject::Fd(r.i32()?),
        3 => Subject::Name(r.string()?),
        _ => return Err(garbled()),
    };
    Ok(Error::sys(errno, syscall, subject).with_detail(r.opt_string()?))
}

/// Borrows owned fds, in order.
pub(crate) fn borrowed(fds: &[OwnedFd]) -> Vec<BorrowedFd<'_>> {
    fds.iter().map(AsFd::as_fd).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip(op: Op) {
        let mut w = Writer::default();
        op.encode(&mut w);
        assert_eq!(Op::decode(&mut Reader::new(&w.0)).unwrap(), op);
    }

    #[test]
    fn every_operation_reads_back_as_written() {
        round_trip(Op::Create);
        round_trip(Op::Sockets { family: Family::Inet6, kind: Kind::Datagram, count: 9 });
        round_trip(Op::Sockets { family: Family::Unix, kind: Kind::Stream, count: 1 });
        round_trip(Op::ListLinks);
        round_trip(Op::SetLinkUp { name: "lo".into(), up: true });
        round_trip(Op::AddAddress { name: "v0".into(), addr: "fd00::1".parse().unwrap(), prefix_len: 64 });
        round_trip(Op::AddAddress { name: "v0".into(), addr: "10.1.2.3".parse().unwrap(), prefix_len: 24 });
        round_trip(Op::AddVeth { name: "a".into(), peer_name: "b".into() });
        round_trip(Op::DeleteLink { name: "a".into() });
        round_trip(Op::Lookup { host: "example.com".into(), family: 6, flags: 0x20, etc_dir: Some("/etc/netns/x".into()) });
        round_trip(Op::Lookup { host: "h".into(), family: 0, flags: 0, etc_dir: None });
    }

    #[test]
    fn outcomes_answers_and_errors_read_back() {
        let lo = Link { name: "lo".into(), index: 1, up: true, mtu: 65536, address: None, kind: None, master: None, tx_queue_len: 1000 };
        let veth = Link {
            name: "v".into(),
            index: 7,
            up: false,
            mtu: 1500,
            address: Some("02:00:00:00:00:01".into()),
            kind: Some("veth".into()),
            master: Some("br0".into()),
            tx_queue_len: 0,
        };
        let links = vec![lo, veth];
        let outcomes = [
            Ok(Reply::Done),
            Ok(Reply::Links(links)),
            Err(Error::sys(Errno::EEXIST, "RTM_NEWLINK", Subject::Name("v".into()))),
            Err(Error::sys(Errno::EADDRINUSE, "bind", Subject::Path("/x".into()))),
            Err(Error::sys(Errno::EBADF, "setns", Subject::Fd(9))),
            Err(Error::sys(Errno::EPERM, "RTM_NEWROUTE", Subject::None)),
            Err(Error::sys(Errno::ENETUNREACH, "RTM_NEWROUTE", Subject::Name("default".into()))
                .with_detail(Some("Nexthop has invalid gateway".into()))),
            Err(Error::UserNsUnavailable { errno: Errno::ENOSPC, syscall: "unshare", cause: UserNsBlock::MaxUserNamespaces }),
        ];
        for o in outcomes {
            let mut w = Writer::default();
            encode_outcome(&mut w, &o);
            assert_eq!(decode_outcome(&mut Reader::new(&w.0)).unwrap(), o);
        }
        let answers = [
            Answer::Found(vec!["127.0.0.1".parse().unwrap(), "::1".parse().unwrap()]),
            Answer::Gai(GaiError { code: "EAI_NONAME".into() }),
            Answer::Setup(Error::sys(Errno::EPERM, "mount", Subject::Path("/etc/hosts".into()))),
        ];
        for a in answers {
            let mut w = Writer::default();
            encode_answer(&mut w, &a);
            assert_eq!(decode_answer(&mut Reader::new(&w.0)).unwrap(), a);
        }
    }

    #[test]
    fn a_short_or_unknown_message_is_eproto() {
        assert_eq!(Op::decode(&mut Reader::new(&[])).unwrap_err().errno(), Some(Errno::EPROTO));
        assert_eq!(Op::decode(&mut Reader::new(&[99])).unwrap_err().errno(), Some(Errno::EPROTO));
        assert_eq!(Op::decode(&mut Reader::new(&[3, 200, 0, 0, 0])).unwrap_err().errno(), Some(Errno::EPROTO));
    }

    #[test]
    fn run_here_needs_a_namespace_fd() {
        let e = Op::ListLinks.run_here(&[]).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EBADF));
    }
}
