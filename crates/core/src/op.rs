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
use crate::netlink::{self, Link, LinkAddress, LinkChanges, Route, Rule};
use crate::netwire::{
    get_address, get_changes, get_link, get_route, get_rule, put_address, put_changes, put_link, put_route, put_rule,
};
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
    /// [`crate::add_bridge`] in `fds[0]`.
    AddBridge {
        /// The bridge's name.
        name: String,
    },
    /// [`crate::set_link`] in `fds[0]`.
    SetLink {
        /// The device.
        name: String,
        /// What to change.
        changes: LinkChanges,
    },
    /// [`crate::move_link`] from `fds[0]` into `fds[1]`.
    MoveLink {
        /// The device.
        name: String,
        /// Its name in the target, if it is renamed.
        new_name: Option<String>,
    },
    /// [`crate::delete_address`] in `fds[0]`.
    DeleteAddress {
        /// The device.
        name: String,
        /// The address.
        addr: IpAddr,
        /// Its prefix length.
        prefix_len: u8,
    },
    /// [`crate::list_addresses`] of `fds[0]`.
    ListAddresses {
        /// Only this device's, if given.
        name: Option<String>,
    },
    /// [`crate::add_route`] in `fds[0]`.
    AddRoute(Route),
    /// [`crate::replace_route`] in `fds[0]`.
    ReplaceRoute(Route),
    /// [`crate::delete_route`] in `fds[0]`.
    DeleteRoute(Route),
    /// [`crate::list_routes`] of `fds[0]`.
    ListRoutes {
        /// Only IPv6 (`true`) or IPv4 routes, if given.
        v6: Option<bool>,
        /// Only this table's, if given.
        table: Option<u32>,
    },
    /// [`crate::add_rule`] in `fds[0]`.
    AddRule(Rule),
    /// [`crate::delete_rule`] in `fds[0]`.
    DeleteRule(Rule),
    /// [`crate::list_rules`] of `fds[0]`.
    ListRules,
    /// [`crate::get_sysctl`] of `fds[0]`.
    GetSysctl {
        /// The `net.*` key.
        key: String,
    },
    /// [`crate::set_sysctl`] in `fds[0]`.
    SetSysctl {
        /// The `net.*` key.
        key: String,
        /// The value to write.
        value: String,
    },
}

/// What an operation answers besides its fds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Done; any result is in the fds.
    Done,
    /// The links of a namespace.
    Links(Vec<Link>),
    /// The addresses of a namespace.
    Addresses(Vec<LinkAddress>),
    /// The routes of a namespace.
    Routes(Vec<Route>),
    /// The policy rules of a namespace.
    Rules(Vec<Rule>),
    /// The value of a sysctl.
    Sysctl(String),
}

impl Reply {
    /// The links of a [`Reply::Links`]; `EPROTO` for another reply.
    pub fn links(self) -> Result<Vec<Link>> {
        if let Reply::Links(links) = self { Ok(links) } else { Err(garbled()) }
    }

    /// The addresses of a [`Reply::Addresses`]; `EPROTO` for another reply.
    pub fn addresses(self) -> Result<Vec<LinkAddress>> {
        if let Reply::Addresses(addresses) = self { Ok(addresses) } else { Err(garbled()) }
    }

    /// The routes of a [`Reply::Routes`]; `EPROTO` for another reply.
    pub fn routes(self) -> Result<Vec<Route>> {
        if let Reply::Routes(routes) = self { Ok(routes) } else { Err(garbled()) }
    }

    /// The rules of a [`Reply::Rules`]; `EPROTO` for another reply.
    pub fn rules(self) -> Result<Vec<Rule>> {
        if let Reply::Rules(rules) = self { Ok(rules) } else { Err(garbled()) }
    }

    /// The value of a [`Reply::Sysctl`]; `EPROTO` for another reply.
    pub fn sysctl(self) -> Result<String> {
        if let Reply::Sysctl(value) = self { Ok(value) } else { Err(garbled()) }
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
            Op::AddAddress { name, addr, prefix_len } => w.u8(4).str(name).ip(*addr).u8(*prefix_len),
            Op::AddVeth { name, peer_name } => w.u8(5).str(name).str(peer_name),
            Op::DeleteLink { name } => w.u8(6).str(name),
            Op::Lookup { host, family, flags, etc_dir } => {
                w.u8(7).str(host).u8(*family).i32(*flags).opt_str(etc_dir.as_deref().and_then(|p| p.to_str()))
            }
            Op::AddBridge { name } => w.u8(8).str(name),
            Op::SetLink { name, changes } => put_changes(w.u8(9).str(name), changes),
            Op::MoveLink { name, new_name } => w.u8(10).str(name).opt_str(new_name.as_deref()),
            Op::DeleteAddress { name, addr, prefix_len } => w.u8(11).str(name).ip(*addr).u8(*prefix_len),
            Op::ListAddresses { name } => w.u8(12).opt_str(name.as_deref()),
            Op::AddRoute(route) => put_route(w.u8(13), route),
            Op::ReplaceRoute(route) => put_route(w.u8(14), route),
            Op::DeleteRoute(route) => put_route(w.u8(15), route),
            Op::ListRoutes { v6, table } => w.u8(16).opt(*v6, Writer::bool).opt(*table, Writer::u32),
            Op::AddRule(rule) => put_rule(w.u8(17), rule),
            Op::DeleteRule(rule) => put_rule(w.u8(18), rule),
            Op::ListRules => w.u8(19),
            Op::GetSysctl { key } => w.u8(20).str(key),
            Op::SetSysctl { key, value } => w.u8(21).str(key).str(value),
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
            4 => Op::AddAddress { name: r.string()?, addr: r.ip()?, prefix_len: r.u8()? },
            5 => Op::AddVeth { name: r.string()?, peer_name: r.string()? },
            6 => Op::DeleteLink { name: r.string()? },
            7 => Op::Lookup { host: r.string()?, family: r.u8()?, flags: r.i32()?, etc_dir: r.opt_path()? },
            8 => Op::AddBridge { name: r.string()? },
            9 => Op::SetLink { name: r.string()?, changes: get_changes(r)? },
            10 => Op::MoveLink { name: r.string()?, new_name: r.opt_string()? },
            11 => Op::DeleteAddress { name: r.string()?, addr: r.ip()?, prefix_len: r.u8()? },
            12 => Op::ListAddresses { name: r.opt_string()? },
            13 => Op::AddRoute(get_route(r)?),
            14 => Op::ReplaceRoute(get_route(r)?),
            15 => Op::DeleteRoute(get_route(r)?),
            16 => Op::ListRoutes { v6: r.opt(Reader::bool)?, table: r.opt(Reader::u32)? },
            17 => Op::AddRule(get_rule(r)?),
            18 => Op::DeleteRule(get_rule(r)?),
            19 => Op::ListRules,
            20 => Op::GetSysctl { key: r.string()? },
            21 => Op::SetSysctl { key: r.string()?, value: r.string()? },
            _ => return Err(garbled()),
        })
    }

    /// Runs the operation on the calling thread, which must be able to enter the namespaces in
    /// `fds` (the helper's, for its own namespaces). Answers the reply and the fds made.
    pub fn run_here(self, fds: &[BorrowedFd<'_>]) -> Result<(Reply, Vec<OwnedFd>)> {
        let ns = || fds.first().copied().ok_or_else(|| Error::sys(Errno::EBADF, "setns", Subject::None));
        let done = |fds: Vec<OwnedFd>| Ok((Reply::Done, fds));
        let reply = |reply: Reply| Ok((reply, Vec::new()));
        let nothing = |outcome: Result<()>| outcome.map(|()| (Reply::Done, Vec::new()));
        match self {
            Op::Create => done(vec![crate::lifecycle::create_anonymous()?.into_owned()]),
            Op::Sockets { family, kind, count } => {
                done(crate::sockpool::make_batch(ns()?, family, kind, count as usize)?)
            }
            Op::ListLinks => reply(Reply::Links(netlink::list_links(ns()?)?)),
            Op::SetLinkUp { name, up } => nothing(netlink::set_link_up(ns()?, &name, up)),
            Op::AddAddress { name, addr, prefix_len } => nothing(netlink::add_address(ns()?, &name, addr, prefix_len)),
            Op::AddVeth { name, peer_name } => {
                nothing(netlink::add_veth(ns()?, &name, &peer_name, fds.get(1).copied()))
            }
            Op::DeleteLink { name } => nothing(netlink::delete_link(ns()?, &name)),
            Op::Lookup { host, family, flags, etc_dir } => {
                let (ns, reply) = (ns()?, fds.get(1).ok_or_else(|| Error::sys(Errno::EBADF, "sendmsg", Subject::None))?);
                crate::helper::lookup_thread(ns, *reply, host, family, flags, etc_dir)?;
                done(Vec::new())
            }
            Op::AddBridge { name } => nothing(netlink::add_bridge(ns()?, &name)),
            Op::SetLink { name, changes } => nothing(netlink::set_link(ns()?, &name, &changes)),
            Op::MoveLink { name, new_name } => {
                let target = fds.get(1).copied().ok_or_else(|| Error::sys(Errno::EBADF, "RTM_NEWLINK", Subject::None))?;
                nothing(netlink::move_link(ns()?, &name, target, new_name.as_deref()))
            }
            Op::DeleteAddress { name, addr, prefix_len } => {
                nothing(netlink::delete_address(ns()?, &name, addr, prefix_len))
            }
            Op::ListAddresses { name } => reply(Reply::Addresses(netlink::list_addresses(ns()?, name.as_deref())?)),
            Op::AddRoute(route) => nothing(netlink::add_route(ns()?, &route)),
            Op::ReplaceRoute(route) => nothing(netlink::replace_route(ns()?, &route)),
            Op::DeleteRoute(route) => nothing(netlink::delete_route(ns()?, &route)),
            Op::ListRoutes { v6, table } => reply(Reply::Routes(netlink::list_routes(ns()?, v6, table)?)),
            Op::AddRule(rule) => nothing(netlink::add_rule(ns()?, &rule)),
            Op::DeleteRule(rule) => nothing(netlink::delete_rule(ns()?, &rule)),
            Op::ListRules => reply(Reply::Rules(netlink::list_rules(ns()?)?)),
            Op::GetSysctl { key } => reply(Reply::Sysctl(crate::sysctl::get_sysctl(ns()?, &key)?)),
            Op::SetSysctl { key, value } => nothing(crate::sysctl::set_sysctl(ns()?, &key, &value)),
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
            w.u8(0).u8(1).list(links, put_link);
        }
        Ok(Reply::Addresses(addresses)) => {
            w.u8(0).u8(2).list(addresses, put_address);
        }
        Ok(Reply::Routes(routes)) => {
            w.u8(0).u8(3).list(routes, put_route);
        }
        Ok(Reply::Rules(rules)) => {
            w.u8(0).u8(4).list(rules, put_rule);
        }
        Ok(Reply::Sysctl(value)) => {
            w.u8(0).u8(5).str(value);
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
        1 => Reply::Links(r.list(get_link)?),
        2 => Reply::Addresses(r.list(get_address)?),
        3 => Reply::Routes(r.list(get_route)?),
        4 => Reply::Rules(r.list(get_rule)?),
        5 => Reply::Sysctl(r.string()?),
        _ => return Err(garbled()),
    }))
}

/// Writes the answer of a lookup.
pub(crate) fn encode_answer(w: &mut Writer, answer: &Answer) {
    match answer {
        Answer::Found(ips) => {
            w.u8(0).list(ips, |w, ip| w.ip(*ip));
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
        0 => Answer::Found(r.list(Reader::ip)?),
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
    "setsockopt", "socket", "socketpair", "statfs", "umount2", "unlink", "unshare", "write", "read", "sysctl",
    "RTM_DELLINK", "RTM_GETLINK", "RTM_NEWLINK", "RTM_NEWADDR", "RTM_DELADDR", "RTM_GETADDR", "RTM_NEWROUTE",
    "RTM_DELROUTE", "RTM_GETROUTE", "RTM_NEWRULE", "RTM_DELRULE", "RTM_GETRULE",
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
        round_trip(Op::AddBridge { name: "br0".into() });
        round_trip(Op::SetLink { name: "v0".into(), changes: LinkChanges::default() });
        let every = LinkChanges {
            up: Some(false),
            mtu: Some(1400),
            name: Some("v1".into()),
            master: Some(Some("br0".into())),
            address: Some(vec![2, 0, 0, 0, 0, 1]),
            tx_queue_len: Some(0),
        };
        round_trip(Op::SetLink { name: "v0".into(), changes: every });
        let free = LinkChanges { master: Some(None), ..Default::default() };
        round_trip(Op::SetLink { name: "v0".into(), changes: free });
        round_trip(Op::MoveLink { name: "v0".into(), new_name: Some("eth0".into()) });
        round_trip(Op::MoveLink { name: "v0".into(), new_name: None });
        round_trip(Op::DeleteAddress { name: "v0".into(), addr: "fd00::1".parse().unwrap(), prefix_len: 64 });
        round_trip(Op::ListAddresses { name: Some("v0".into()) });
        round_trip(Op::ListAddresses { name: None });
        for route in routes() {
            round_trip(Op::AddRoute(route.clone()));
            round_trip(Op::ReplaceRoute(route.clone()));
            round_trip(Op::DeleteRoute(route));
        }
        round_trip(Op::ListRoutes { v6: None, table: None });
        round_trip(Op::ListRoutes { v6: Some(true), table: Some(100) });
        round_trip(Op::ListRoutes { v6: Some(false), table: None });
        for rule in rules() {
            round_trip(Op::AddRule(rule.clone()));
            round_trip(Op::DeleteRule(rule));
        }
        round_trip(Op::ListRules);
        round_trip(Op::GetSysctl { key: "net.ipv4.ip_forward".into() });
        round_trip(Op::SetSysctl { key: "net.ipv4.ip_forward".into(), value: "1".into() });
    }

    /// A default route with nothing else set, and one with every field.
    fn routes() -> Vec<Route> {
        let mut full = Route::to("fd00:1::".parse().unwrap(), 64);
        full.gateway = Some("fe80::1".parse().unwrap());
        full.dev = Some("v0".into());
        full.src = Some("fd00::2".parse().unwrap());
        (full.metric, full.table, full.scope) = (Some(7), Some(1000), Some(0));
        (full.kind, full.protocol) = (Some(1), Some(3));
        vec![Route::to("0.0.0.0".parse().unwrap(), 0), full]
    }

    /// A mark rule without a priority, and one with every field.
    fn rules() -> Vec<Rule> {
        let mark = Rule { v6: false, priority: None, table: 100, fwmark: Some(42), fwmask: None, src: None, dst: None };
        let full = Rule {
            v6: true,
            priority: Some(1000),
            table: 254,
            fwmark: Some(0x10),
            fwmask: Some(0xf0),
            src: Some(("fd00::".parse().unwrap(), 64)),
            dst: Some(("fd01::".parse().unwrap(), 48)),
        };
        vec![mark, full]
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
        let addresses = vec![
            LinkAddress { name: "v".into(), index: 7, address: "10.1.0.1".parse().unwrap(), prefix_len: 24, scope: 0 },
            LinkAddress { name: "v".into(), index: 7, address: "fe80::1".parse().unwrap(), prefix_len: 64, scope: 253 },
        ];
        let outcomes = [
            Ok(Reply::Done),
            Ok(Reply::Links(links)),
            Ok(Reply::Addresses(addresses)),
            Ok(Reply::Addresses(Vec::new())),
            Ok(Reply::Routes(routes())),
            Ok(Reply::Rules(rules())),
            Ok(Reply::Sysctl("4096\t131072\t6291456".into())),
            Ok(Reply::Sysctl(String::new())),
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
        // A route whose address family is neither 4 nor 6, and a list longer than its message.
        assert_eq!(Op::decode(&mut Reader::new(&[13, 5, 0, 0, 0, 0])).unwrap_err().errno(), Some(Errno::EPROTO));
        let huge = [&[0u8, 2][..], &u32::MAX.to_ne_bytes()].concat();
        assert_eq!(decode_outcome(&mut Reader::new(&huge)).unwrap_err().errno(), Some(Errno::EPROTO));
        // A reply of another kind than the operation's.
        assert_eq!(Reply::Done.routes().unwrap_err().errno(), Some(Errno::EPROTO));
        assert_eq!(Reply::Sysctl("1".into()).links().unwrap_err().errno(), Some(Errno::EPROTO));
    }

    #[test]
    fn run_here_needs_a_namespace_fd() {
        let e = Op::ListLinks.run_here(&[]).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EBADF));
    }
}
