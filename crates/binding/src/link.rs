//! Network devices inside a namespace over rtnetlink: veth pairs and bridges, up/down and other
//! properties, moving to another namespace, deletion, listing. Each call opens a netlink socket
//! inside the namespace `nsFd` and closes it again.

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
    /// The MTU in bytes.
    pub mtu: u32,
    /// The hardware address, `aa:bb:cc:dd:ee:ff`, if the device has one.
    pub address: Option<String>,
    /// The link kind (`veth`, `bridge` ...), if it has one.
    pub kind: Option<String>,
    /// The name of the device's master (a bridge), if any.
    pub master: Option<String>,
    /// The transmit queue length in packets.
    pub tx_queue_len: u32,
}

/// What `setLink` changes; absent properties stay as they are.
#[napi(object)]
pub struct LinkChangesArg {
    /// Up or down.
    pub up: Option<bool>,
    /// The MTU in bytes.
    pub mtu: Option<u32>,
    /// A new name.
    pub name: Option<String>,
    /// The bridge to enslave the device to; the empty string frees it from its master.
    pub master: Option<String>,
    /// The hardware address, `aa:bb:cc:dd:ee:ff`.
    pub address: Option<String>,
    /// The transmit queue length in packets.
    pub tx_queue_len: Option<u32>,
}

/// Creates a veth pair: `name` in the namespace `nsFd`, its peer `peerName` in `peerNsFd` (in
/// `nsFd` too when null). Both ends start down.
#[napi]
pub fn add_veth(env: &Env, ns_fd: i32, name: String, peer_name: String, peer_ns_fd: Option<i32>) -> Result<()> {
    let peer_ns = peer_ns_fd.map(borrow_fd).transpose()?;
    netns_core::add_veth(borrow_fd(ns_fd)?, &name, &peer_name, peer_ns).map_err(|e| to_js(env, e))
}

/// Creates a bridge `name` in `nsFd`, down and without ports.
#[napi]
pub fn add_bridge(env: &Env, ns_fd: i32, name: String) -> Result<()> {
    netns_core::add_bridge(borrow_fd(ns_fd)?, &name).map_err(|e| to_js(env, e))
}

/// Sets the device `name` in `nsFd` up (`up: true`) or down.
#[napi]
pub fn set_link_up(env: &Env, ns_fd: i32, name: String, up: bool) -> Result<()> {
    netns_core::set_link_up(borrow_fd(ns_fd)?, &name, up).map_err(|e| to_js(env, e))
}

/// Reads a hardware address written as hex bytes joined by `:`.
fn hw_address(text: &str) -> Result<Vec<u8>> {
    let bytes: Option<Vec<u8>> =
        text.split(':').map(|b| if b.len() == 2 { u8::from_str_radix(b, 16).ok() } else { None }).collect();
    bytes
        .filter(|b| b.len() >= 2)
        .ok_or_else(|| Error::new(Status::InvalidArg, format!("address must be hex bytes joined by ':', got '{text}'")))
}

/// Changes the device `name` in `nsFd`; on a refusal, what was changed is set back.
#[napi]
pub fn set_link(env: &Env, ns_fd: i32, name: String, changes: LinkChangesArg) -> Result<()> {
    let changes = netns_core::LinkChanges {
        up: changes.up,
        mtu: changes.mtu,
        name: changes.name,
        master: changes.master.map(|m| Some(m).filter(|m| !m.is_empty())),
        address: changes.address.as_deref().map(hw_address).transpose()?,
        tx_queue_len: changes.tx_queue_len,
    };
    netns_core::set_link(borrow_fd(ns_fd)?, &name, &changes).map_err(|e| to_js(env, e))
}

/// Moves the device `name` from `nsFd` into `targetFd`, renamed to `newName` if given.
#[napi]
pub fn move_link(env: &Env, ns_fd: i32, name: String, target_fd: i32, new_name: Option<String>) -> Result<()> {
    netns_core::move_link(borrow_fd(ns_fd)?, &name, borrow_fd(target_fd)?, new_name.as_deref())
        .map_err(|e| to_js(env, e))
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
    Ok(links
        .into_iter()
        .map(|l| LinkInfo {
            name: l.name,
            index: l.index,
            up: l.up,
            mtu: l.mtu,
            address: l.address,
            kind: l.kind,
            master: l.master,
            tx_queue_len: l.tx_queue_len,
        })
        .collect())
}
