//! The operations on network devices wherever their namespace can be entered: on the calling
//! thread, or, for a namespace of the rootless helper, in the helper ([`Op::run`]). Each is the
//! function of the same name in [`crate::netlink`], which the crate exports in this form.

use std::net::IpAddr;
use std::os::fd::BorrowedFd;

use crate::error::Result;
use crate::netlink::Link;
use crate::op::Op;

/// [`crate::netlink::list_links`]: the devices of `ns`.
pub fn list_links(ns: BorrowedFd<'_>) -> Result<Vec<Link>> {
    Op::ListLinks.run(&[ns])?.0.links()
}

/// [`crate::netlink::set_link_up`]: the device `name` of `ns` up or down.
pub fn set_link_up(ns: BorrowedFd<'_>, name: &str, up: bool) -> Result<()> {
    Op::SetLinkUp { name: name.into(), up }.run(&[ns]).map(drop)
}

/// [`crate::netlink::add_address`]: `addr/prefix_len` on the device `name` of `ns`.
pub fn add_address(ns: BorrowedFd<'_>, name: &str, addr: IpAddr, prefix_len: u8) -> Result<()> {
    Op::AddAddress { name: name.into(), addr, prefix_len }.run(&[ns]).map(drop)
}

/// [`crate::netlink::add_veth`]: a veth pair, `name` in `ns` and `peer_name` in `peer_ns` (or `ns`).
pub fn add_veth(ns: BorrowedFd<'_>, name: &str, peer_name: &str, peer_ns: Option<BorrowedFd<'_>>) -> Result<()> {
    let fds: Vec<BorrowedFd<'_>> = std::iter::once(ns).chain(peer_ns).collect();
    Op::AddVeth { name: name.into(), peer_name: peer_name.into() }.run(&fds).map(drop)
}

/// [`crate::netlink::delete_link`]: the device `name` of `ns` (both ends of a veth pair).
pub fn delete_link(ns: BorrowedFd<'_>, name: &str) -> Result<()> {
    Op::DeleteLink { name: name.into() }.run(&[ns]).map(drop)
}
