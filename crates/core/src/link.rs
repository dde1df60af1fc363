//! Network devices and their addresses inside a namespace, over rtnetlink (`rtnetlink(7)`):
//! veth pairs, up and down, IPv4/IPv6 addresses, deletion and listing, without `ip(8)`.
//!
//! Each function opens a `NETLINK_ROUTE` socket inside the namespace it is given (switching the
//! calling thread only for the `socket(2)` call, with [`crate::NsGuard`]), sends one request with
//! `NLM_F_ACK`, and maps the kernel's answer: an `NLMSG_ERROR` becomes
//! `Error::Sys { errno, syscall: "RTM_NEWLINK" | ..., subject: Subject::Name(device) }`, e.g.
//! `EEXIST` for a name in use or `ENODEV` for a device that does not exist.

use std::net::IpAddr;
use std::os::fd::{AsRawFd, BorrowedFd};

use nix::errno::Errno;

use crate::error::{Error, Result, Subject};
use crate::netlink::{
    attrs, ifaddrmsg, ifinfomsg, Message, RouteSocket, IFINFOMSG_LEN, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    RTM_DELLINK, RTM_GETLINK, RTM_NEWADDR, RTM_NEWLINK,
};

// <linux/if_link.h>, <linux/veth.h>, <linux/if_addr.h>, <linux/if.h>
const IFLA_IFNAME: u16 = 3;
const IFLA_LINKINFO: u16 = 18;
const IFLA_NET_NS_FD: u16 = 28;
const IFLA_INFO_KIND: u16 = 1;
const IFLA_INFO_DATA: u16 = 2;
const VETH_INFO_PEER: u16 = 1;
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;
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
}

fn name_subject(name: &str) -> Subject {
    Subject::Name(name.to_owned())
}

/// Creates a veth pair (`veth(4)`): `name` in the namespace `ns`, and its peer `peer_name` in
/// `peer_ns` (`IFLA_NET_NS_FD` on the peer; `None`: in `ns` too), in one `RTM_NEWLINK` request.
///
/// Both ends start down. Fails with `EEXIST` if either name is taken in its namespace.
pub fn add_veth(ns: BorrowedFd<'_>, name: &str, peer_name: &str, peer_ns: Option<BorrowedFd<'_>>) -> Result<()> {
    let mut sock = RouteSocket::open_in(ns)?;
    let mut msg = Message::new(RTM_NEWLINK, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &ifinfomsg(0, 0, 0, 0));
    msg.attr_str(IFLA_IFNAME, name);
    let info = msg.begin_nest(IFLA_LINKINFO);
    msg.attr(IFLA_INFO_KIND, b"veth");
    let data = msg.begin_nest(IFLA_INFO_DATA);
    let peer = msg.begin_nest(VETH_INFO_PEER);
    msg.raw(&ifinfomsg(0, 0, 0, 0));
    msg.attr_str(IFLA_IFNAME, peer_name);
    if let Some(peer_ns) = peer_ns {
        msg.attr(IFLA_NET_NS_FD, &(peer_ns.as_raw_fd() as u32).to_ne_bytes());
    }
    msg.end_nest(peer);
    msg.end_nest(data);
    msg.end_nest(info);
    sock.request(&mut msg, "RTM_NEWLINK", &name_subject(name))?;
    Ok(())
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

fn index_of(sock: &mut RouteSocket, name: &str) -> Result<u32> {
    let mut msg = Message::new(RTM_GETLINK, NLM_F_ACK, &ifinfomsg(0, 0, 0, 0));
    msg.attr_str(IFLA_IFNAME, name);
    let replies = sock.request(&mut msg, "RTM_GETLINK", &name_subject(name))?;
    replies
        .iter()
        .find_map(|r| parse_link(r))
        .map(|link| link.index)
        .ok_or_else(|| Error::sys(Errno::ENODEV, "RTM_GETLINK", name_subject(name)))
}

/// Adds the address `addr/prefix_len` to the device `name` in `ns` (`RTM_NEWADDR`), IPv4 or
/// IPv6, as `ip addr add ADDR/PREFIX dev NAME` does. `EEXIST` if the device already has it,
/// `ENODEV` if there is no such device, `EINVAL` for a prefix longer than the address.
pub fn add_address(ns: BorrowedFd<'_>, name: &str, addr: IpAddr, prefix_len: u8) -> Result<()> {
    let mut sock = RouteSocket::open_in(ns)?;
    let index = index_of(&mut sock, name)?;
    let (family, bytes) = match addr {
        IpAddr::V4(a) => (libc::AF_INET as u8, a.octets().to_vec()),
        IpAddr::V6(a) => (libc::AF_INET6 as u8, a.octets().to_vec()),
    };
    let header = ifaddrmsg(family, prefix_len, index);
    let mut msg = Message::new(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_EXCL, &header);
    msg.attr(IFA_LOCAL, &bytes);
    msg.attr(IFA_ADDRESS, &bytes);
    sock.request(&mut msg, "RTM_NEWADDR", &name_subject(name))?;
    Ok(())
}

/// Lists the devices of `ns` (an `RTM_GETLINK` dump), in the kernel's order (by index).
pub fn list_links(ns: BorrowedFd<'_>) -> Result<Vec<Link>> {
    let mut sock = RouteSocket::open_in(ns)?;
    let mut msg = Message::new(RTM_GETLINK, NLM_F_DUMP, &ifinfomsg(0, 0, 0, 0));
    let replies = sock.request(&mut msg, "RTM_GETLINK", &Subject::None)?;
    Ok(replies.iter().filter_map(|r| parse_link(r)).collect())
}

/// Reads an `RTM_NEWLINK` reply: `ifinfomsg` then attributes.
fn parse_link(payload: &[u8]) -> Option<Link> {
    let header = payload.get(..IFINFOMSG_LEN)?;
    let index = i32::from_ne_bytes(header[4..8].try_into().ok()?);
    let flags = u32::from_ne_bytes(header[8..12].try_into().ok()?);
    let name = attrs(&payload[IFINFOMSG_LEN..]).find(|(ty, _)| *ty == IFLA_IFNAME).map(|(_, value)| {
        let end = value.iter().position(|&b| b == 0).unwrap_or(value.len());
        String::from_utf8_lossy(&value[..end]).into_owned()
    })?;
    Some(Link { name, index: u32::try_from(index).ok()?, up: flags & IFF_UP != 0 })
}

#[cfg(test)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};
    use std::os::fd::AsFd;
    use std::process::Command;

    use super::*;
    use crate::nsfile::NetNs;
    use crate::testutil::unshared_netns;

    fn find<'a>(links: &'a [Link], name: &str) -> Option<&'a Link> {
        links.iter().find(|l| l.name == name)
    }

    /// `ip -o addr show dev NAME` run inside `ns` (via /proc/self/fd), for an independent view.
    fn ip_addrs(ns: &NetNs, name: &str) -> String {
        let fd = ns.as_fd().as_raw_fd();
        let out = Command::new("nsenter")
            .arg(format!("--net=/proc/{}/fd/{fd}", std::process::id()))
            .args(["ip", "-o", "addr", "show", "dev", name])
            .output()
            .expect("nsenter");
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    #[test]
    fn a_new_namespace_has_only_lo_and_it_is_down() {
        let ns = unshared_netns();
        let links = list_links(ns.as_fd()).unwrap();
        assert_eq!(links, vec![Link { name: "lo".into(), index: 1, up: false }]);
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
        assert!(find(&in_a, "va").is_some_and(|l| !l.up));
        assert!(find(&in_a, "vb").is_none());
        assert!(find(&in_b, "vb").is_some());
        assert!(find(&in_b, "va").is_none());

        set_link_up(a.as_fd(), "va", true).unwrap();
        assert!(find(&list_links(a.as_fd()).unwrap(), "va").unwrap().up);
        set_link_up(a.as_fd(), "va", false).unwrap();
        assert!(!find(&list_links(a.as_fd()).unwrap(), "va").unwrap().up);

        add_address(a.as_fd(), "va", IpAddr::V4(Ipv4Addr::new(10, 7, 0, 1)), 30).unwrap();
        add_address(a.as_fd(), "va", IpAddr::V6("fd00::1".parse::<Ipv6Addr>().unwrap()), 64).unwrap();
        let shown = ip_addrs(&a, "va");
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
    fn errors_carry_errno_request_and_device() {
        let ns = unshared_netns();
        add_veth(ns.as_fd(), "x0", "x1", None).unwrap();
        let e = add_veth(ns.as_fd(), "x0", "x2", None).unwrap_err();
        assert_eq!(e, Error::sys(Errno::EEXIST, "RTM_NEWLINK", Subject::Name("x0".into())));

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
