//! rtnetlink (`rtnetlink(7)`) over a `NETLINK_ROUTE` socket made inside a namespace: one file
//! per concept. `message` builds requests and reads replies (pure), `socket` sends them and
//! maps the kernel's errors; `link`, `address`, `route` and `rule` are the operations.
//!
//! Every operation has the form `fn op(ns: BorrowedFd<'_>, plain data) -> Result<plain data>`:
//! it opens its own socket in `ns`, switching the calling thread only for the `socket(2)` call.

mod address;
mod link;
mod message;
mod route;
mod rule;
mod socket;

pub use address::{add_address, delete_address, list_addresses, LinkAddress};
pub use link::{
    add_bridge, add_veth, delete_link, link_index, list_links, move_link, set_link, set_link_up, Link, LinkChanges,
};
pub use route::{
    add_route, delete_route, list_routes, replace_route, Route, RTN_ANYCAST, RTN_BLACKHOLE, RTN_BROADCAST, RTN_LOCAL,
    RTN_MULTICAST, RTN_PROHIBIT, RTN_THROW, RTN_UNICAST, RTN_UNREACHABLE, RT_SCOPE_HOST, RT_SCOPE_LINK,
    RT_SCOPE_NOWHERE, RT_SCOPE_UNIVERSE, RT_TABLE_MAIN,
};
pub use rule::{add_rule, delete_rule, list_rules, Rule};
