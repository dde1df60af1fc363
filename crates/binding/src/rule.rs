//! Policy routing rules ("lookup TABLE") of a namespace: add, delete, list.

use napi::{Env, Result};
use napi_derive::napi;
use netns_core::Rule;

use crate::args::{borrow_fd, byte, ip};
use crate::error::to_js;

/// A rule, in a request or as listed.
#[napi(object)]
pub struct RuleInfo {
    /// IPv6 (`true`) or IPv4.
    pub v6: bool,
    /// The priority; lower is tried first.
    pub priority: Option<u32>,
    /// The table to look routes up in.
    pub table: u32,
    /// The firewall mark to match.
    pub fwmark: Option<u32>,
    /// The bits of the mark that are compared.
    pub fwmask: Option<u32>,
    /// The source network's address.
    pub src: Option<String>,
    /// The source network's prefix length.
    pub src_len: Option<u32>,
    /// The destination network's address.
    pub dst: Option<String>,
    /// The destination network's prefix length.
    pub dst_len: Option<u32>,
}

fn net(addr: &Option<String>, len: Option<u32>, what: &str) -> Result<Option<(std::net::IpAddr, u8)>> {
    addr.as_deref().map(|a| Ok((ip(a, what)?, byte(len.unwrap_or(0), what)?))).transpose()
}

fn to_core(r: &RuleInfo) -> Result<Rule> {
    Ok(Rule {
        v6: r.v6,
        priority: r.priority,
        table: r.table,
        fwmark: r.fwmark,
        fwmask: r.fwmask,
        src: net(&r.src, r.src_len, "src")?,
        dst: net(&r.dst, r.dst_len, "dst")?,
    })
}

/// Adds `rule` to `nsFd` (`ip rule add`).
#[napi]
pub fn add_rule(env: &Env, ns_fd: i32, rule: RuleInfo) -> Result<()> {
    netns_core::add_rule(borrow_fd(ns_fd)?, &to_core(&rule)?).map_err(|e| to_js(env, e))
}

/// Deletes the rule of `nsFd` that matches `rule` (`ip rule del`).
#[napi]
pub fn delete_rule(env: &Env, ns_fd: i32, rule: RuleInfo) -> Result<()> {
    netns_core::delete_rule(borrow_fd(ns_fd)?, &to_core(&rule)?).map_err(|e| to_js(env, e))
}

/// The "lookup TABLE" rules of `nsFd`.
#[napi]
pub fn list_rules(env: &Env, ns_fd: i32) -> Result<Vec<RuleInfo>> {
    let rules = netns_core::list_rules(borrow_fd(ns_fd)?).map_err(|e| to_js(env, e))?;
    Ok(rules
        .into_iter()
        .map(|r| RuleInfo {
            v6: r.v6,
            priority: r.priority,
            table: r.table,
            fwmark: r.fwmark,
            fwmask: r.fwmask,
            src: r.src.map(|(a, _)| a.to_string()),
            src_len: r.src.map(|(_, l)| l.into()),
            dst: r.dst.map(|(a, _)| a.to_string()),
            dst_len: r.dst.map(|(_, l)| l.into()),
        })
        .collect())
}
