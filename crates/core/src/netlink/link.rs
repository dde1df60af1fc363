//! Network devices inside a namespace, over rtnetlink (`rtnetlink(7)`), without `ip(8)`: veth
//! pairs and bridges, up and down, MTU, name, master, hardware address and queue length, moving
//! a device to another namespace, deletion and listing.
//!
//! Each function opens a `NETLINK_ROUTE` socket inside the namespace it is given (switching the
//! calling thread only for the `socket(2)` call, with [`crate::NsGuard`]), sends its requests with
//! `NLM_F_ACK`, and maps the kernel's answer: an `NLMSG_ERROR` becomes
//! `Error::Sys { errno, syscall: "RTM_NEWLINK" | ..., subject: Subject::Name(device), .. }`, e.g.
//! `EEXIST` for a name in use or `ENODEV` for a device that does not exist.

use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;

use super::message::{
    find_attr, ifinfomsg, parse_str, parse_u32, Message, IFINFOMSG_LEN, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP,
    NLM_F_EXCL, RTM_DELLINK, RTM_GETLINK, RTM_NEWLINK,
};
use super::socket::RouteSocket;
use crate::error::{Error, Result, Subject};

// <linux/if_link.h>, <linux/veth.h>, <linux/if.h>
const IFLA_ADDRESS: u16 = 1;
const IFLA_IFNAME: u16 = 3;
const IFLA_MTU: u16 = 4;
const IFLA_MASTER: u16 = 10;
const IFLA_TXQLEN: u16 = 13;
const IFLA_LINKINFO: u16 = 18;
const IFLA_NET_NS_FD: u16 = 28;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const VETH_INFO_PEER: u16 = 1;
const IFF_UP: u32 = libc::IFF_UP as u32;

/// A network device as [`list_links`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Link {
    /// The device name (`IFLA_IFNAME`), e.g. `lo` or `veth0`.
    pub name: String,
    /// The interface index, unique within the namespace.
    pub index: u32,
    /// Whether the device is administratively up (`IFF_UP`).
    pub up: bool,
    /// The MTU in bytes (`IFLA_MTU`).
    pub mtu: u32,
    /// The hardware address as lower-case hex bytes joined by `:` (`IFLA_ADDRESS`), if it has one.
    pub address: Option<String>,
    /// The link kind (`IFLA_INFO_KIND`: `veth`, `bridge`, ...); `None` for `lo` and other
    /// devices that are not made through rtnetlink.
    pub kind: Option<String>,
    /// The name of the device this one is enslaved to (a bridge), if any (`IFLA_MASTER`).
    pub master: Option<String>,
    /// The transmit queue length in packets (`IFLA_TXQLEN`).
    pub tx_queue_len: u32,
}

/// What [`set_link`] changes; `None` leaves a property as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkChanges {
    /// Up (`true`) or down (`IFF_UP`).
    pub up: Option<bool>,
    /// The MTU in bytes.
    pub mtu: Option<u32>,
    /// A new name.
    pub name: Option<String>,
    /// `Some(Some(bridge))` enslaves the device to `bridge`; `Some(None)` frees it from its master.
    pub master: Option<Option<String>>,
    /// The hardware address, as bytes.
    pub address: Option<Vec<u8>>,
    /// The transmit queue length in packets.
    pub tx_queue_len: Option<u32>,
}

pub(crate) fn name_subject(name: &str) -> Subject {
    Subject::Name(name.to_owned())
}

/// Formats a hardware address as `ip` prints it: `aa:bb:cc:dd:ee:ff`.
fn format_hw(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect::<Vec<_>>().join(":")
}

/// Sends `RTM_NEWLINK` creating the device `name` of `kind`; `data` adds its `IFLA_INFO_DATA`.
fn new_link(ns: BorrowedFd<'_>, name: &str, kind: &str, data: impl FnOnce(&mut Message)) -> Result<()> {
    let mut sock = RouteSocket::open_in(ns)?;
    let mut msg = Message::new(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifinfomsg(0, 0, 0, 0));
    msg.attr_str(IFLA_IFNAME, name);
    let info = msg.begin_nest(IFLA_LINKINFO);
    msg.attr(IFLA_INFO_KIND, kind.as_bytes());
    data(&mut msg);
    msg.end_nest(info);
    sock.request(&mut msg, "RTM_NEWLINK", &name_subject(name))?;
    Ok(())
}

/// Creates a veth pair (`veth(4)`): `name` in the namespace `ns`, and its peer `peer_name` in
/// `peer_ns` (`IFLA_NET_NS_FD` on the peer; `None`: in `ns` too), in one `RTM_NEWLINK` request.
///
/// Both ends start down. Fails with `EEXIST` if either name is taken in its namespace.
pub fn add_veth(ns: BorrowedFd<'_>, name: &str, peer_name: &str, peer_ns: Option<BorrowedFd<'_>>) -> Result<()> {
    new_link(ns, name, "veth", |msg| {
        let data = msg.begin_nest(IFLA_INFO_DATA);
        let peer = msg.begin_nest(VETH_INFO_PEER);
        msg.raw(&ifinfomsg(0, 0, 0, 0));
        msg.attr_str(IFLA_IFNAME, peer_name);
        if let Some(peer_ns) = peer_ns {
            msg.attr_u32(IFLA_NET_NS_FD, peer_ns.as_raw_fd() as u32);
        }
        msg.end_nest(peer);
        msg.end_nest(data);
    })
}

/// Creates a bridge (`ip link add NAME type bridge`), down and without ports. `EEXIST` if the
/// name is taken.
pub fn add_bridge(ns: BorrowedFd<'_>, name: &str) -> Result<()> {
    new_link(ns, name, "bridge", |_| {})
}

/// Sets the device `name` in `ns` up (`up: true`) or down: `IFF_UP`, as `ip link set NAME up`.
pub fn set_link_up(ns: BorrowedFd<'_>, name: &str, up: bool) -> Result<()> {
    let mut sock = RouteSocket::open_in(ns)?;
    let flags = if up { IFF_UP } else { 0 };
    let mut msg = Message::new(RTM_NEWLINK, NLM_F_ACK, &ifinfomsg(0, 0, flags, IFF_UP));
    msg.attr_str(IFLA_IFNAME, name);
    sock.request(&mut msg, "RTM_NEWLINK", &name_subject(name))?;
    Ok(())
}

/// Changes the device `name` in `ns` as `changes` says, in one `RTM_NEWLINK` request (what
/// `ip link set NAME up mtu M name N master B address A txqueuelen Q` sends).
///
/// The kernel applies the changes one after the other and stops at the first it refuses (a
/// name in use is `EEXIST`, an MTU out of the device's range `EINVAL`), so on a
/// refusal the properties that were asked for are set back to what they were before, and the
/// kernel's error is returned. A master that does not exist is `ENODEV` before anything changes.
pub fn set_link(ns: BorrowedFd<'_>, name: &str, changes: &LinkChanges) -> Result<()> {
    let mut sock = RouteSocket::open_in(ns)?;
    let (before, master_before) = get_link(&mut sock, Some(name), 0)?;
    let master = match &changes.master {
        Some(Some(bridge)) => Some(index_of(&mut sock, bridge)?),
        Some(None) => Some(0),
        None => None,
    };
    let mut msg = change_message(before.index, changes, master);
    let Err(e) = sock.request(&mut msg, "RTM_NEWLINK", &name_subject(name)) else {
        return Ok(());
    };
    let undo = LinkChanges {
        up: changes.up.map(|_| before.up),
        mtu: changes.mtu.map(|_| before.mtu),
        name: changes.name.as_ref().map(|_| before.name.clone()),
        master: None,
        address: changes.address.as_ref().and(before.address.as_deref()).map(parse_hw),
        tx_queue_len: changes.tx_queue_len.map(|_| before.tx_queue_len),
    };
    let master_undo = master.map(|_| master_before.unwrap_or(0));
    // Best effort: the error to report is the kernel's first refusal.
    let _ = sock.request(&mut change_message(before.index, &undo, master_undo), "RTM_NEWLINK", &name_subject(name));
    Err(e)
}

/// Reads a hardware address as [`format_hw`] writes it.
fn parse_hw(text: &str) -> Vec<u8> {
    text.split(':').filter_map(|b| u8::from_str_radix(b, 16).ok()).collect()
}

/// The `RTM_NEWLINK` request that applies `changes` to the device `index`; `master` is the
/// master's index (0: none).
fn change_message(index: u32, changes: &LinkChanges, master: Option<u32>) -> Message {
    let (flags, change) = match changes.up {
        Some(up) => (if up { IFF_UP } else { 0 }, IFF_UP),
        None => (0, 0),
    };
    let mut msg = Message::new(RTM_NEWLINK, NLM_F_ACK, &ifinfomsg(0, index as i32, flags, change));
    if let Some(address) = &changes.address {
        msg.attr(IFLA_ADDRESS, address);
    }
    if let Some(mtu) = changes.mtu {
        msg.attr_u32(IFLA_MTU, mtu);
    }
    if let Some(new_name) = &changes.name {
        msg.attr_str(IFLA_IFNAME, new_name);
    }
    if let Some(master) = master {
        msg.attr_u32(IFLA_MASTER, master);
    }
    if let Some(len) = changes.tx_queue_len {
        msg.attr_u32(IFLA_TXQLEN, len);
    }
    msg
}

/// Moves the device `name` from `ns` into the namespace `target` (`IFLA_NET_NS_FD`, as
/// `ip link set NAME netns TARGET [name NEW]`), renamed to `new_name` on the way if given.
///
/// The device arrives down. A name that is taken in `target` is `EEXIST` and the device stays
/// where it was: the kernel would move the device under its old name first and only then fail
/// to rename it, so the new name is checked in `target` before anything is sent, and a device
/// that still ends up moved by a failed request is moved back (and set up again if it was).
/// A device that cannot change namespace (`lo`, a bridge) is `EINVAL`.
pub fn move_link(ns: BorrowedFd<'_>, name: &str, target: BorrowedFd<'_>, new_name: Option<&str>) -> Result<()> {
    let subject = name_subject(name);
    let mut here = RouteSocket::open_in(ns)?;
    let mut there = RouteSocket::open_in(target)?;
    let (link, _) = get_link(&mut here, Some(name), 0)?;
    if let Some(new_name) = new_name.filter(|n| *n != name) {
        if find_link(&mut there, new_name)?.is_some() {
            return Err(Error::sys(Errno::EEXIST, "RTM_NEWLINK", name_subject(new_name)));
        }
    }
    let old_name_was_there = find_link(&mut there, name)?.is_some();
    let mut msg = Message::new(RTM_NEWLINK, NLM_F_ACK, &ifinfomsg(0, link.index as i32, 0, 0));
    msg.attr_u32(IFLA_NET_NS_FD, target.as_raw_fd() as u32);
    if let Some(new_name) = new_name {
        msg.attr_str(IFLA_IFNAME, new_name);
    }
    let Err(e) = here.request(&mut msg, "RTM_NEWLINK", &subject) else {
        return Ok(());
    };
    // Moved but not renamed (a name taken between the check and the move): move it back.
    let gone = matches!(get_link(&mut here, None, link.index), Err(ref g) if g.errno() == Some(Errno::ENODEV));
    if gone && !old_name_was_there {
        if let Ok(Some(moved)) = find_link(&mut there, name) {
            let mut back = Message::new(RTM_NEWLINK, NLM_F_ACK, &ifinfomsg(0, moved.index as i32, 0, 0));
            back.attr_u32(IFLA_NET_NS_FD, ns.as_raw_fd() as u32);
            if there.request(&mut back, "RTM_NEWLINK", &subject).is_ok() && link.up {
                let _ = set_link_up(ns, name, true);
            }
        }
    }
    Err(e)
}

/// Deletes the device `name` in `ns` (`RTM_DELLINK`); deleting one end of a veth pair deletes both.
pub fn delete_link(ns: BorrowedFd<'_>, name: &str) -> Result<()> {
    let mut sock = RouteSocket::open_in(ns)?;
    let mut msg = Message::new(RTM_DELLINK, NLM_F_ACK, &ifinfomsg(0, 0, 0, 0));
    msg.attr_str(IFLA_IFNAME, name);
    sock.request(&mut msg, "RTM_DELLINK", &name_subject(name))?;
    Ok(())
}

/// The interface index of the device `name` in `ns` (`RTM_GETLINK`); `ENODEV` if there is none.
pub fn link_index(ns: BorrowedFd<'_>, name: &str) -> Result<u32> {
    let mut sock = RouteSocket::open_in(ns)?;
    index_of(&mut sock, name)
}

/// The index of the device `name` on the namespace of `sock`; `ENODEV` if there is none.
pub(crate) fn index_of(sock: &mut RouteSocket, name: &str) -> Result<u32> {
    Ok(get_link(sock, Some(name), 0)?.0.index)
}

/// One device by name (or, when `name` is `None`, by `index`), with its master's index.
fn get_link(sock: &mut RouteSocket, name: Option<&str>, index: u32) -> Result<(Link, Option<u32>)> {
    let mut msg = Message::new(RTM_GETLINK, NLM_F_ACK, &ifinfomsg(0, index as i32, 0, 0));
    if let Some(name) = name {
        msg.attr_str(IFLA_IFNAME, name);
    }
    let subject = name.map_or_else(|| Subject::Name(format!("index {index}")), name_subject);
    let replies = sock.request(&mut msg, "RTM_GETLINK", &subject)?;
    replies.iter().find_map(|r| parse_link(r)).ok_or_else(|| Error::sys(Errno::ENODEV, "RTM_GETLINK", subject))
}

/// The device `name` on the namespace of `sock`, or `None` if there is none.
fn find_link(sock: &mut RouteSocket, name: &str) -> Result<Option<Link>> {
    match get_link(sock, Some(name), 0) {
        Ok((link, _)) => Ok(Some(link)),
        Err(e) if e.errno() == Some(Errno::ENODEV) => Ok(None),
        Err(e) => Err(e),
    }
}

/// The names of the devices of the namespace of `sock`, with their indexes and masters' indexes.
pub(crate) fn dump_links(sock: &mut RouteSocket) -> Result<Vec<(Link, Option<u32>)>> {
    let mut msg = Message::new(RTM_GETLINK, NLM_F_DUMP, &ifinfomsg(0, 0, 0, 0));
    let replies = sock.request(&mut msg, "RTM_GETLINK", &Subject::None)?;
    Ok(replies.iter().filter_map(|r| parse_link(r)).collect())
}

/// Lists the devices of `ns` (an `RTM_GETLINK` dump), in the kernel's order (by index).
pub fn list_links(ns: BorrowedFd<'_>) -> Result<Vec<Link>> {
    let mut sock = RouteSocket::open_in(ns)?;
    let found = dump_links(&mut sock)?;
    let name_of = |index: u32| found.iter().find(|(l, _)| l.index == index).map(|(l, _)| l.name.clone());
    Ok(found.iter().map(|(link, master)| Link { master: master.and_then(name_of), ..link.clone() }).collect())
}

/// Reads an `RTM_NEWLINK` reply: `ifinfomsg` then attributes; the master is left as an index.
fn parse_link(payload: &[u8]) -> Option<(Link, Option<u32>)> {
    let header = payload.get(..IFINFOMSG_LEN)?;
    let index = i32::from_ne_bytes(header[4..8].try_into().ok()?);
    let flags = u32::from_ne_bytes(header[8..12].try_into().ok()?);
    let rest = &payload[IFINFOMSG_LEN..];
    let u32_attr = |ty| find_attr(rest, ty).and_then(parse_u32);
    let link = Link {
        name: find_attr(rest, IFLA_IFNAME).map(parse_str)?,
        index: u32::try_from(index).ok()?,
        up: flags & IFF_UP != 0,
        mtu: u32_attr(IFLA_MTU).unwrap_or(0),
        address: find_attr(rest, IFLA_ADDRESS).filter(|a| !a.is_empty()).map(format_hw),
        kind: find_attr(rest, IFLA_LINKINFO).and_then(|info| find_attr(info, IFLA_INFO_KIND)).map(parse_str),
        master: None,
        tx_queue_len: u32_attr(IFLA_TXQLEN).unwrap_or(0),
    };
    Some((link, u32_attr(IFLA_MASTER).filter(|&m| m != 0)))
}

#[cfg(test)]
mod tests {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    use std::os::fd::AsFd;
    use std::process::Command;

    use super::*;
    use crate::netlink::address::add_address;
    use crate::nsfile::NetNs;
    use crate::testutil::unshared_netns;

    fn find<'a>(links: &'a [Link], name: &str) -> Option<&'a Link> {
        links.iter().find(|l| l.name == name)
    }

    fn link(ns: &NetNs, name: &str) -> Link {
        find(&list_links(ns.as_fd()).unwrap(), name).cloned().unwrap_or_else(|| panic!("no {name}"))
    }

    /// `ip -o ARGS` run inside `ns` (via /proc/self/fd), for an independent view.
    fn ip(ns: &NetNs, args: &[&str]) -> String {
        let fd = ns.as_fd().as_raw_fd();
        let out = Command::new("nsenter")
            .arg(format!("--net=/proc/{}/fd/{fd}", std::process::id()))
            .args(["ip", "-o"])
            .args(args)
            .output()
            .expect("nsenter");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn a_new_namespace_has_only_lo_and_it_is_down() {
        let ns = unshared_netns();
        let links = list_links(ns.as_fd()).unwrap();
        let lo = Link {
            name: "lo".into(),
            index: 1,
            up: false,
            mtu: 65536,
            address: Some("00:00:00:00:00:00".into()),
            kind: None,
            master: None,
            tx_queue_len: 1000,
        };
        assert_eq!(links, vec![lo]);
        set_link_up(ns.as_fd(), "lo", true).unwrap();
        assert!(find(&list_links(ns.as_fd()).unwrap(), "lo").unwrap().up);
        assert_eq!(link_index(ns.as_fd(), "lo").unwrap(), 1);
    }

    #[test]
    fn veth_pair_spans_two_namespaces() {
        let a = unshared_netns();
        let b = unshared_netns();
        let before = NetNs::current().unwrap().identity().unwrap();
        add_veth(a.as_fd(), "va", "vb", Some(b.as_fd())).unwrap();
        assert_eq!(NetNs::current().unwrap().identity().unwrap(), before);

        let in_a = list_links(a.as_fd()).unwrap();
        let in_b = list_links(b.as_fd()).unwrap();
        assert!(find(&in_a, "va").is_some_and(|l| !l.up && l.kind.as_deref() == Some("veth")));
        assert!(find(&in_a, "vb").is_none());
        assert!(find(&in_b, "vb").is_some());
        assert!(find(&in_b, "va").is_none());

        set_link_up(a.as_fd(), "va", true).unwrap();
        assert!(link(&a, "va").up);
        set_link_up(a.as_fd(), "va", false).unwrap();
        assert!(!link(&a, "va").up);

        add_address(a.as_fd(), "va", IpAddr::V4(Ipv4Addr::new(10, 7, 0, 1)), 30).unwrap();
        add_address(a.as_fd(), "va", IpAddr::V6("fd00::1".parse::<Ipv6Addr>().unwrap()), 64).unwrap();
        let shown = ip(&a, &["addr", "show", "dev", "va"]);
        assert!(shown.contains("inet 10.7.0.1/30"), "{shown}");
        assert!(shown.contains("inet6 fd00::1/64"), "{shown}");

        let dup = add_address(a.as_fd(), "va", IpAddr::V4(Ipv4Addr::new(10, 7, 0, 1)), 30).unwrap_err();
        assert_eq!(dup.errno(), Some(Errno::EEXIST));

        // Deleting one end deletes the pair, in both namespaces.
        delete_link(b.as_fd(), "vb").unwrap();
        assert!(find(&list_links(a.as_fd()).unwrap(), "va").is_none());
        assert!(find(&list_links(b.as_fd()).unwrap(), "vb").is_none());
    }

    #[test]
    fn set_link_changes_what_it_is_asked_and_undoes_a_refused_request() {
        let ns = unshared_netns();
        add_veth(ns.as_fd(), "s0", "s1", None).unwrap();
        add_bridge(ns.as_fd(), "br0").unwrap();
        let changes = LinkChanges {
            mtu: Some(1400),
            name: Some("s9".into()),
            master: Some(Some("br0".into())),
            address: Some(vec![0x02, 0, 0, 0, 0, 0x2a]),
            tx_queue_len: Some(77),
            up: Some(true),
        };
        set_link(ns.as_fd(), "s0", &changes).unwrap();
        let l = link(&ns, "s9");
        assert_eq!((l.mtu, l.up, l.tx_queue_len), (1400, true, 77));
        assert_eq!(l.address.as_deref(), Some("02:00:00:00:00:2a"));
        assert_eq!(l.master.as_deref(), Some("br0"));
        assert_eq!(link(&ns, "br0").kind.as_deref(), Some("bridge"));
        assert!(ip(&ns, &["link", "show", "dev", "s9"]).contains("master br0"));

        // The kernel sets the MTU, then refuses the name (taken): the MTU goes back.
        let e =
            set_link(ns.as_fd(), "s9", &LinkChanges { mtu: Some(1300), name: Some("s1".into()), ..Default::default() })
                .unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EEXIST));
        assert_eq!(link(&ns, "s9").mtu, 1400);

        set_link(ns.as_fd(), "s9", &LinkChanges { master: Some(None), ..Default::default() }).unwrap();
        assert_eq!(link(&ns, "s9").master, None);
        let e = set_link(ns.as_fd(), "s9", &LinkChanges { master: Some(Some("nobr".into())), ..Default::default() })
            .unwrap_err();
        assert_eq!(e, Error::sys(Errno::ENODEV, "RTM_GETLINK", Subject::Name("nobr".into())));
    }

    #[test]
    fn move_link_renames_on_the_way_and_a_taken_name_leaves_it_in_place() {
        let a = unshared_netns();
        let b = unshared_netns();
        add_veth(a.as_fd(), "m0", "m1", None).unwrap();
        add_veth(b.as_fd(), "taken", "t1", None).unwrap();
        set_link_up(a.as_fd(), "m0", true).unwrap();

        // ip(8) would move m0 as "m0" and then fail to rename it: here nothing moves.
        let e = move_link(a.as_fd(), "m0", b.as_fd(), Some("taken")).unwrap_err();
        assert_eq!(e, Error::sys(Errno::EEXIST, "RTM_NEWLINK", Subject::Name("taken".into())));
        assert!(link(&a, "m0").up);
        assert!(find(&list_links(b.as_fd()).unwrap(), "m0").is_none());

        move_link(a.as_fd(), "m0", b.as_fd(), Some("moved")).unwrap();
        assert!(find(&list_links(a.as_fd()).unwrap(), "m0").is_none());
        assert!(!link(&b, "moved").up);

        // lo cannot change namespace.
        let e = move_link(a.as_fd(), "lo", b.as_fd(), None).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EINVAL));
        let e = move_link(a.as_fd(), "nope0", b.as_fd(), None).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::ENODEV));
    }

    #[test]
    fn errors_carry_errno_request_and_device() {
        let ns = unshared_netns();
        add_veth(ns.as_fd(), "x0", "x1", None).unwrap();
        let e = add_veth(ns.as_fd(), "x0", "x2", None).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EEXIST));
        assert!(matches!(&e, Error::Sys { syscall: "RTM_NEWLINK", subject: Subject::Name(n), .. } if n == "x0"));

        let e = set_link_up(ns.as_fd(), "missing0", true).unwrap_err();
        assert_eq!(e, Error::sys(Errno::ENODEV, "RTM_NEWLINK", Subject::Name("missing0".into())));
        let e = delete_link(ns.as_fd(), "missing0").unwrap_err();
        assert_eq!(e, Error::sys(Errno::ENODEV, "RTM_DELLINK", Subject::Name("missing0".into())));
        let e = link_index(ns.as_fd(), "missing0").unwrap_err();
        assert_eq!(e.errno(), Some(Errno::ENODEV));
        let e = add_address(ns.as_fd(), "missing0", IpAddr::V4(Ipv4Addr::new(10, 7, 0, 5)), 24).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::ENODEV));
        let e = add_address(ns.as_fd(), "x0", IpAddr::V4(Ipv4Addr::new(10, 7, 0, 5)), 33).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EINVAL));
    }

    #[test]
    fn a_bad_namespace_fd_fails_before_any_request() {
        let file = std::fs::File::open("/proc/self/status").unwrap();
        let e = list_links(file.as_fd()).unwrap_err();
        assert_eq!(e.errno(), Some(Errno::EINVAL));
    }
}
