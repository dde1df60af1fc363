//! Routes of a namespace: add, replace, delete, list, IPv4 and IPv6, any table and type.

use napi::{Env, Result};
use napi_derive::napi;
use netns_core::Route;

use crate::args::{borrow_fd, byte, ip};
use crate::error::to_js;

/// A route, in a request or as listed. Numbers are the kernel's (`RTN_*` types, `RT_SCOPE_*`).
#[napi(object)]
pub struct RouteInfo {
    /// The destination network's address (`0.0.0.0` or `::` for a default route).
    pub dst: String,
    /// The destination's prefix length (0: the default route).
    pub dst_len: u32,
    /// The gateway.
    pub gateway: Option<String>,
    /// The output device's name.
    pub dev: Option<String>,
    /// The preferred source address.
    pub src: Option<String>,
    /// The metric.
    pub metric: Option<u32>,
    /// The table (main is 254).
    pub table: Option<u32>,
    /// The scope.
    pub scope: Option<u32>,
    /// The route type.
    #[napi(js_name = "type")]
    pub kind: Option<u32>,
    /// Who made it (`RTPROT_*`).
    pub protocol: Option<u32>,
}

fn to_core(r: &RouteInfo) -> Result<Route> {
    let opt_ip = |v: &Option<String>, what| v.as_deref().map(|a| ip(a, what)).transpose();
    let opt_byte = |v: Option<u32>, what| v.map(|b| byte(b, what)).transpose();
    Ok(Route {
        dst: ip(&r.dst, "dst")?,
        dst_len: byte(r.dst_len, "dstLen")?,
        gateway: opt_ip(&r.gateway, "gateway")?,
        dev: r.dev.clone(),
        src: opt_ip(&r.src, "src")?,
        metric: r.metric,
        table: r.table,
        scope: opt_byte(r.scope, "scope")?,
        kind: opt_byte(r.kind, "type")?,
        protocol: opt_byte(r.protocol, "protocol")?,
    })
}

fn from_core(r: Route) -> RouteInfo {
    RouteInfo {
        dst: r.dst.to_string(),
        dst_len: r.dst_len.into(),
        gateway: r.gateway.map(|a| a.to_string()),
        dev: r.dev,
        src: r.src.map(|a| a.to_string()),
        metric: r.metric,
        table: r.table,
        scope: r.scope.map(u32::from),
        kind: r.kind.map(u32::from),
        protocol: r.protocol.map(u32::from),
    }
}

/// Adds `route` to `nsFd` (`ip route add`).
#[napi]
pub fn add_route(env: &Env, ns_fd: i32, route: RouteInfo) -> Result<()> {
    netns_core::add_route(borrow_fd(ns_fd)?, &to_core(&route)?).map_err(|e| to_js(env, e))
}

/// Adds `route` to `nsFd` or replaces the one to the same destination (`ip route replace`).
#[napi]
pub fn replace_route(env: &Env, ns_fd: i32, route: RouteInfo) -> Result<()> {
    netns_core::replace_route(borrow_fd(ns_fd)?, &to_core(&route)?).map_err(|e| to_js(env, e))
}

/// Deletes the route of `nsFd` that matches `route` (`ip route del`).
#[napi]
pub fn delete_route(env: &Env, ns_fd: i32, route: RouteInfo) -> Result<()> {
    netns_core::delete_route(borrow_fd(ns_fd)?, &to_core(&route)?).map_err(|e| to_js(env, e))
}

/// The routes of `nsFd`: of `table` (every table when null), of one family when `v6` is given.
#[napi]
pub fn list_routes(env: &Env, ns_fd: i32, v6: Option<bool>, table: Option<u32>) -> Result<Vec<RouteInfo>> {
    let routes = netns_core::list_routes(borrow_fd(ns_fd)?, v6, table).map_err(|e| to_js(env, e))?;
    Ok(routes.into_iter().map(from_core).collect())
}
