//! IPv4 and IPv6 addresses of the devices of a namespace: add, delete, list.

use napi::{Env, Result};
use napi_derive::napi;

use crate::args::{borrow_fd, byte, ip};
use crate::error::to_js;

/// An address of a device.
#[napi(object)]
pub struct AddressInfo {
    /// The device's name.
    pub name: String,
    /// The device's interface index.
    pub index: u32,
    /// The address, IPv4 or IPv6.
    pub address: String,
    /// The prefix length of its subnet.
    pub prefix_len: u32,
    /// Its scope (0 global, 253 link, 254 host).
    pub scope: u32,
}

/// Adds the address `address/prefixLen` (IPv4 or IPv6 literal) to the device `name` in `nsFd`.
#[napi]
pub fn add_address(env: &Env, ns_fd: i32, name: String, address: String, prefix_len: u32) -> Result<()> {
    let (addr, len) = (ip(&address, "address")?, byte(prefix_len, "prefixLen")?);
    netns_core::add_address(borrow_fd(ns_fd)?, &name, addr, len).map_err(|e| to_js(env, e))
}

/// Deletes the address `address/prefixLen` from the device `name` in `nsFd`.
#[napi]
pub fn delete_address(env: &Env, ns_fd: i32, name: String, address: String, prefix_len: u32) -> Result<()> {
    let (addr, len) = (ip(&address, "address")?, byte(prefix_len, "prefixLen")?);
    netns_core::delete_address(borrow_fd(ns_fd)?, &name, addr, len).map_err(|e| to_js(env, e))
}

/// The addresses of `nsFd`, of every device or of the device `name`.
#[napi]
pub fn list_addresses(env: &Env, ns_fd: i32, name: Option<String>) -> Result<Vec<AddressInfo>> {
    let found = netns_core::list_addresses(borrow_fd(ns_fd)?, name.as_deref()).map_err(|e| to_js(env, e))?;
    Ok(found
        .into_iter()
        .map(|a| AddressInfo {
            name: a.name,
            index: a.index,
            address: a.address.to_string(),
            prefix_len: a.prefix_len.into(),
            scope: a.scope.into(),
        })
        .collect())
}
