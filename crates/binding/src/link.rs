//! Network devices inside a namespace over rtnetlink: veth pairs, up/down, addresses, deletion,
//! listing. Each call opens a netlink socket inside the namespace `nsFd` and closes it again.

use std::net::IpAddr;

use napi::{Env, Error, Result, Status};
use napi_derive::napi;

use crate::args::borrow_fd;
use crate::error::to_js;

/// A network device of a namespace.
#[napi(object)]
pub struct LinkInfo {
    /// The device name, e.g. `lo`.
    pub name: String,
    /// The interface index, unique within the namespace.
    pub index: u32,
    /// Whether the device is administratively up (`IFF_UP`).
    pub up: bool,
}

/// Creates a veth pair: `name` in the namespace `nsFd`, its peer `peerName` in `peerNsFd` (in
/// `nsFd` too when null). Both ends start down.
#[napi]
pub fn add_veth(env: &Env, ns_fd: i32, name: String, peer_name: String, peer_ns_fd: Option<i32>) -> Result<()> {
    let peer_ns = peer_ns_fd.map(borrow_fd).transpose()?;
    netns_core::add_veth(borrow_fd(ns_fd)?, &name, &peer_name, peer_ns).map_err(|e| to_js(env, e))
}

/// Sets the device `name` in `nsFd` up (`up: true`) or down.
#[napi]
pub fn set_link_up(env: &Env, ns_fd: i32, name: String, up: bool) -> Result<()> {
    netns_core::set_link_up(borrow_fd(ns_fd)?, &name, up).map_err(|e| to_js(env, e))
}

/// Adds the address `address/prefixLen` (IPv4 or IPv6 literal) to the device `name` in `nsFd`.
#[napi]
pub fn add_address(env: &Env, ns_fd: i32, name: String, address: String, prefix_len: u32) -> Result<()> {
    let addr: IpAddr = address
        .parse()
        .map_err(|_| Error::new(Status::InvalidArg, format!("address must be an IP address, got '{address}'")))?;
    let prefix_len = u8::try_from(prefix_len)
        .map_err(|_| Error::new(Status::InvalidArg, format!("prefixLen must be <= 128, got {prefix_len}")))?;
    netns_core::add_address(borrow_fd(ns_fd)?, &name, addr, prefix_len).map_err(|e| to_js(env, e))
}

/// Deletes the device `name` in `nsFd` (both ends, for a veth pair).
#[napi]
pub fn delete_link(env: &Env, ns_fd: i32, name: String) -> Result<()> {
    netns_core::delete_link(borrow_fd(ns_fd)?, &name).map_err(|e| to_js(env, e))
}

/// The devices of the namespace `nsFd`, by index.
#[napi]
pub fn list_links(env: &Env, ns_fd: i32) -> Result<Vec<LinkInfo>> {
    let links = netns_core::list_links(borrow_fd(ns_fd)?).map_err(|e| to_js(env, e))?;
    Ok(links.into_iter().map(|l| LinkInfo { name: l.name, index: l.index, up: l.up }).collect())
}
