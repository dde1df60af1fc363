//! The operations on the network of a namespace (devices, addresses, routes, rules, sysctls)
//! wherever the namespace can be entered: on the calling thread, or, for a namespace of the
//! rootless helper, in the helper ([`Op::run`]). Each is the function of the same name in
//! [`crate::netlink`] or [`crate::sysctl`], which the crate exports in this form.

use std::net::IpAddr;
use std::os::fd::BorrowedFd;

use crate::error::Result;
use crate::netlink::{Link, LinkAddress, LinkChanges, Route, Rule};
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

/// [`crate::netlink::add_bridge`]: a bridge `name` in `ns`, down and without ports.
pub fn add_bridge(ns: BorrowedFd<'_>, name: &str) -> Result<()> {
    Op::AddBridge { name: name.into() }.run(&[ns]).map(drop)
}

/// [`crate::netlink::set_link`]: `changes` to the device `name` of `ns`, undone on a refusal.
pub fn set_link(ns: BorrowedFd<'_>, name: &str, changes: &LinkChanges) -> Result<()> {
    Op::SetLink { name: name.into(), changes: changes.clone() }.run(&[ns]).map(drop)
}

/// [`crate::netlink::move_link`]: the device `name` of `ns` into `target`, renamed to `new_name`.
pub fn move_link(ns: BorrowedFd<'_>, name: &str, target: BorrowedFd<'_>, new_name: Option<&str>) -> Result<()> {
    Op::MoveLink { name: name.into(), new_name: new_name.map(Into::into) }.run(&[ns, target]).map(drop)
}

/// [`crate::netlink::delete_address`]: `addr/prefix_len` off the device `name` of `ns`.
pub fn delete_address(ns: BorrowedFd<'_>, name: &str, addr: IpAddr, prefix_len: u8) -> Result<()> {
    Op::DeleteAddress { name: name.into(), addr, prefix_len }.run(&[ns]).map(drop)
}

/// [`crate::netlink::list_addresses`]: the addresses of `ns`, or of its device `name`.
pub fn list_addresses(ns: BorrowedFd<'_>, name: Option<&str>) -> Result<Vec<LinkAddress>> {
    Op::ListAddresses { name: name.map(Into::into) }.run(&[ns])?.0.addresses()
}

/// [`crate::netlink::add_route`]: `route` in `ns` (`ip route add`).
pub fn add_route(ns: BorrowedFd<'_>, route: &Route) -> Result<()> {
    Op::AddRoute(route.clone()).run(&[ns]).map(drop)
}

/// [`crate::netlink::replace_route`]: `route` in `ns`, in place of the same destination and metric.
pub fn replace_route(ns: BorrowedFd<'_>, route: &Route) -> Result<()> {
    Op::ReplaceRoute(route.clone()).run(&[ns]).map(drop)
}

/// [`crate::netlink::delete_route`]: the route of `ns` that matches `route`.
pub fn delete_route(ns: BorrowedFd<'_>, route: &Route) -> Result<()> {
    Op::DeleteRoute(route.clone()).run(&[ns]).map(drop)
}

/// [`crate::netlink::list_routes`]: the routes of `ns`, of one family and one table if asked.
pub fn list_routes(ns: BorrowedFd<'_>, v6: Option<bool>, table: Option<u32>) -> Result<Vec<Route>> {
    Op::ListRoutes { v6, table }.run(&[ns])?.0.routes()
}

/// [`crate::netlink::add_rule`]: `rule` in `ns` (`ip rule add`).
pub fn add_rule(ns: BorrowedFd<'_>, rule: &Rule) -> Result<()> {
    Op::AddRule(rule.clone()).run(&[ns]).map(drop)
}

/// [`crate::netlink::delete_rule`]: the first rule of `ns` that matches `rule`.
pub fn delete_rule(ns: BorrowedFd<'_>, rule: &Rule) -> Result<()> {
    Op::DeleteRule(rule.clone()).run(&[ns]).map(drop)
}

/// [`crate::netlink::list_rules`]: the "lookup TABLE" rules of `ns`.
pub fn list_rules(ns: BorrowedFd<'_>) -> Result<Vec<Rule>> {
    Op::ListRules.run(&[ns])?.0.rules()
}

/// [`crate::sysctl::get_sysctl`]: the value of the `net.*` sysctl `key` of `ns`.
pub fn get_sysctl(ns: BorrowedFd<'_>, key: &str) -> Result<String> {
    Op::GetSysctl { key: key.into() }.run(&[ns])?.0.sysctl()
}

/// [`crate::sysctl::set_sysctl`]: `value` to the `net.*` sysctl `key` of `ns`.
pub fn set_sysctl(ns: BorrowedFd<'_>, key: &str, value: &str) -> Result<()> {
    Op::SetSysctl { key: key.into(), value: value.into() }.run(&[ns]).map(drop)
}
