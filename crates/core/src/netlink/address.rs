//! IPv4 and IPv6 addresses of the devices of a namespace, over rtnetlink: add, delete, list
//! (`ip addr add|del|show`).

use std::net::IpAddr;
use std::os::fd::BorrowedFd;

use super::link::{dump_links, index_of, name_subject};
use super::message::{
    find_attr, ifaddrmsg, ip_bytes, parse_ip, Message, IFADDRMSG_LEN, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    RTM_DELADDR, RTM_GETADDR, RTM_NEWADDR,
};
use super::socket::RouteSocket;
use crate::error::{Result, Subject};

// <linux/if_addr.h>
const IFA_ADDRESS: u16 = 1;
const IFA_LOCAL: u16 = 2;

/// An address of a device, as [`list_addresses`] reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LinkAddress {
    /// The device's name.
    pub name: String,
    /// The device's interface index.
    pub index: u32,
    /// The address (`IFA_LOCAL`, else `IFA_ADDRESS`).
    pub address: IpAddr,
    /// The prefix length of its subnet.
    pub prefix_len: u8,
    /// Its scope (`rtm_scope` values: 0 global, 253 link, 254 host).
    pub scope: u8,
}

/// Sends `RTM_NEWADDR` or `RTM_DELADDR` for `addr/prefix_len` on the device `name`.
fn change(ns: BorrowedFd<'_>, ty: u16, flags: u16, name: &str, addr: IpAddr, prefix_len: u8) -> Result<()> {
    let mut sock = RouteSocket::open_in(ns)?;
    let index = index_of(&mut sock, name)?;
    let (family, bytes) = ip_bytes(addr);
    let mut msg = Message::new(ty, NLM_F_ACK | flags, &ifaddrmsg(family, prefix_len, index));
    msg.attr(IFA_LOCAL, &bytes);
    msg.attr(IFA_ADDRESS, &bytes);
    let op = if ty == RTM_NEWADDR { "RTM_NEWADDR" } else { "RTM_DELADDR" };
    sock.request(&mut msg, op, &name_subject(name))?;
    Ok(())
}

/// Adds the address `addr/prefix_len` to the device `name` in `ns` (`RTM_NEWADDR`), IPv4 or
/// IPv6, as `ip addr add ADDR/PREFIX dev NAME` does. `EEXIST` if the device already has it,
/// `ENODEV` if there is no such device, `EINVAL` for a prefix longer than the address.
pub fn add_address(ns: BorrowedFd<'_>, name: &str, addr: IpAddr, prefix_len: u8) -> Result<()> {
    change(ns, RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, name, addr, prefix_len)
}

/// Deletes the address `addr/prefix_len` from the device `name` in `ns` (`RTM_DELADDR`), as
/// `ip addr del ADDR/PREFIX dev NAME` does. `EADDRNOTAVAIL` if the device does not have it.
pub fn delete_address(ns: BorrowedFd<'_>, name: &str, addr: IpAddr, prefix_len: u8) -> Result<()> {
    change(ns, RTM_DELADDR, 0, name, addr, prefix_len)
}

/// The addresses of `ns` (an `RTM_GETADDR` dump), IPv4 then IPv6, of every device or only of
/// the device `name` (`ENODEV` if there is none).
pub fn list_addresses(ns: BorrowedFd<'_>, name: Option<&str>) -> Result<Vec<LinkAddress>> {
    let mut sock = RouteSocket::open_in(ns)?;
    let only = name.map(|n| index_of(&mut sock, n)).transpose()?;
    let links = dump_links(&mut sock)?;
    let mut msg = Message::new(RTM_GETADDR, NLM_F_DUMP, &ifaddrmsg(0, 0, 0));
    let replies = sock.request(&mut msg, "RTM_GETADDR", &name.map_or(Subject::None, name_subject))?;
    Ok(replies
        .iter()
        .filter_map(|r| parse_address(r))
        .filter(|(index, ..)| only.is_none_or(|o| o == *index))
        .filter_map(|(index, address, prefix_len, scope)| {
            let (link, _) = links.iter().find(|(l, _)| l.index == index)?;
            Some(LinkAddress { name: link.name.clone(), index, address, prefix_len, scope })
        })
        .collect())
}

/// Reads an `RTM_NEWADDR` reply: index, address, prefix length, scope.
fn parse_address(payload: &[u8]) -> Option<(u32, IpAddr, u8, u8)> {
    let header = payload.get(..IFADDRMSG_LEN)?;
    let index = u32::from_ne_bytes(header[4..8].try_into().ok()?);
    let rest = &payload[IFADDRMSG_LEN..];
    let address = find_attr(rest, IFA_LOCAL).or_else(|| find_attr(rest, IFA_ADDRESS)).and_then(parse_ip)?;
    Some((index, address, header[1], header[3]))
}

#[cfg(test)]
mod tests {
    use std::os::fd::AsFd;

    use nix::errno::Errno;

    use super::*;
    use crate::netlink::add_veth;
    use crate::testutil::unshared_netns;

    #[test]
    fn addresses_are_listed_by_device_and_deleted() {
        let ns = unshared_netns();
        let ns = ns.as_fd();
        add_veth(ns, "d0", "d1", None).unwrap();
        let v4: IpAddr = "10.5.0.1".parse().unwrap();
        let v6: IpAddr = "fd00:5::1".parse().unwrap();
        add_address(ns, "d0", v4, 24).unwrap();
        add_address(ns, "d0", v6, 64).unwrap();
        add_address(ns, "d1", "10.5.0.2".parse().unwrap(), 24).unwrap();
        let on_d0 = list_addresses(ns, Some("d0")).unwrap();
        let index = on_d0[0].index;
        assert_eq!(
            on_d0,
            vec![
                LinkAddress { name: "d0".into(), index, address: v4, prefix_len: 24, scope: 0 },
                LinkAddress { name: "d0".into(), index, address: v6, prefix_len: 64, scope: 0 },
            ]
        );
        assert_eq!(list_addresses(ns, None).unwrap().len(), 3);
        delete_address(ns, "d0", v4, 24).unwrap();
        delete_address(ns, "d0", v6, 64).unwrap();
        assert!(list_addresses(ns, Some("d0")).unwrap().is_empty());
        assert_eq!(delete_address(ns, "d0", v4, 24).unwrap_err().errno(), Some(Errno::EADDRNOTAVAIL));
        assert_eq!(list_addresses(ns, Some("nope0")).unwrap_err().errno(), Some(Errno::ENODEV));
    }
}
