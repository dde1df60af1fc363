//! Policy routing rules of a namespace, over rtnetlink: add, delete, list (`ip rule add|del|
//! show`). A rule picks the routing table for packets that match it, by firewall mark (the
//! `SO_MARK` of the socket that sent them), source or destination; only "lookup TABLE" rules
//! (`FR_ACT_TO_TBL`) are made and listed.

use std::fmt;
use std::net::IpAddr;
use std::os::fd::BorrowedFd;

use super::message::{
    find_attr, ip_bytes, parse_ip, parse_u32, rtmsg, Message, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    RTMSG_LEN, RTM_DELRULE, RTM_GETRULE, RTM_NEWRULE,
};
use super::socket::RouteSocket;
use crate::error::{Result, Subject};

// <linux/fib_rules.h>
const FRA_DST: u16 = 1;
const FRA_SRC: u16 = 2;
const FRA_PRIORITY: u16 = 6;
const FRA_FWMARK: u16 = 10;
const FRA_TABLE: u16 = 15;
const FRA_FWMASK: u16 = 16;
const FR_ACT_TO_TBL: u8 = 1;

/// A "lookup TABLE" rule: what is added or deleted, and what [`list_rules`] reports.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rule {
    /// IPv6 (`true`) or IPv4 rules; each family has its own list.
    pub v6: bool,
    /// The priority (`pref`): lower is tried first. `None` when adding lets the kernel pick one
    /// just before the last rule it has; in a delete it matches any.
    pub priority: Option<u32>,
    /// The table to look the route up in.
    pub table: u32,
    /// The firewall mark to match (`fwmark`).
    pub fwmark: Option<u32>,
    /// The bits of the mark that are compared (`fwmark MARK/MASK`; all of them when `None`).
    pub fwmask: Option<u32>,
    /// The source network to match (`from`): address and prefix length.
    pub src: Option<(IpAddr, u8)>,
    /// The destination network to match (`to`): address and prefix length.
    pub dst: Option<(IpAddr, u8)>,
}

/// The rule as `ip rule` prints it, e.g. `from all fwmark 0x2a lookup 100`.
impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.src {
            Some((a, len)) => write!(f, "from {a}/{len}")?,
            None => f.write_str("from all")?,
        }
        if let Some((a, len)) = self.dst {
            write!(f, " to {a}/{len}")?;
        }
        if let Some(mark) = self.fwmark {
            write!(f, " fwmark {mark:#x}")?;
            if let Some(mask) = self.fwmask {
                write!(f, "/{mask:#x}")?;
            }
        }
        write!(f, " lookup {}", self.table)
    }
}

/// The request for `rule`: `ty` is `RTM_NEWRULE` or `RTM_DELRULE`.
pub(crate) fn rule_message(ty: u16, flags: u16, rule: &Rule) -> Message {
    let family = if rule.v6 { libc::AF_INET6 } else { libc::AF_INET } as u8;
    let dst_len = rule.dst.map_or(0, |(_, l)| l);
    let src_len = rule.src.map_or(0, |(_, l)| l);
    let short_table = u8::try_from(rule.table).unwrap_or(0);
    let header = rtmsg([family, dst_len, src_len, 0, short_table, 0, 0, FR_ACT_TO_TBL]);
    let mut msg = Message::new(ty, NLM_F_ACK | flags, &header);
    msg.attr_u32(FRA_TABLE, rule.table);
    if let Some(priority) = rule.priority {
        msg.attr_u32(FRA_PRIORITY, priority);
    }
    if let Some(mark) = rule.fwmark {
        msg.attr_u32(FRA_FWMARK, mark);
    }
    if let Some(mask) = rule.fwmask {
        msg.attr_u32(FRA_FWMASK, mask);
    }
    if let Some((addr, _)) = rule.src {
        msg.attr(FRA_SRC, &ip_bytes(addr).1);
    }
    if let Some((addr, _)) = rule.dst {
        msg.attr(FRA_DST, &ip_bytes(addr).1);
    }
    msg
}

fn change(ns: BorrowedFd<'_>, ty: u16, flags: u16, op: &'static str, rule: &Rule) -> Result<()> {
    let mut sock = RouteSocket::open_in(ns)?;
    sock.request(&mut rule_message(ty, flags, rule), op, &Subject::Name(rule.to_string()))?;
    Ok(())
}

/// Adds `rule` to `ns` (`RTM_NEWRULE`, as `ip rule add`). `EEXIST` if the same rule exists.
pub fn add_rule(ns: BorrowedFd<'_>, rule: &Rule) -> Result<()> {
    change(ns, RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, "RTM_NEWRULE", rule)
}

/// Deletes the first rule that matches `rule` (`RTM_DELRULE`, as `ip rule del`). `ENOENT` if
/// none does.
pub fn delete_rule(ns: BorrowedFd<'_>, rule: &Rule) -> Result<()> {
    change(ns, RTM_DELRULE, 0, "RTM_DELRULE", rule)
}

/// The "lookup TABLE" rules of `ns` (an `RTM_GETRULE` dump), IPv4 then IPv6, each family in
/// priority order, the kernel's own three (local, main, default) included.
pub fn list_rules(ns: BorrowedFd<'_>) -> Result<Vec<Rule>> {
    let mut sock = RouteSocket::open_in(ns)?;
    let mut msg = Message::new(RTM_GETRULE, NLM_F_DUMP, &rtmsg([0; 8]));
    let replies = sock.request(&mut msg, "RTM_GETRULE", &Subject::None)?;
    Ok(replies.iter().filter_map(|r| parse_rule(r)).collect())
}

/// Reads an `RTM_NEWRULE` reply; rules of other actions (`unreachable`, `goto` ...) are skipped.
pub(crate) fn parse_rule(payload: &[u8]) -> Option<Rule> {
    let h = payload.get(..RTMSG_LEN)?;
    if h[7] != FR_ACT_TO_TBL {
        return None;
    }
    let v6 = match i32::from(h[0]) {
        libc::AF_INET => false,
        libc::AF_INET6 => true,
        _ => return None,
    };
    let rest = &payload[RTMSG_LEN..];
    let u32_attr = |ty| find_attr(rest, ty).and_then(parse_u32);
    let fwmark = u32_attr(FRA_FWMARK);
    Some(Rule {
        v6,
        // The kernel leaves FRA_PRIORITY out for priority 0 (the local table's rule).
        priority: Some(u32_attr(FRA_PRIORITY).unwrap_or(0)),
        table: u32_attr(FRA_TABLE).unwrap_or(u32::from(h[4])),
        fwmark,
        // FRA_FWMASK is sent whenever the mask is not all ones, with or without a mark.
        fwmask: fwmark.map(|_| u32_attr(FRA_FWMASK).unwrap_or(u32::MAX)),
        src: find_attr(rest, FRA_SRC).and_then(parse_ip).map(|a| (a, h[2])),
        dst: find_attr(rest, FRA_DST).and_then(parse_ip).map(|a| (a, h[1])),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::message::NLMSG_HDRLEN;

    fn mark_rule() -> Rule {
        Rule {
            v6: false,
            priority: Some(100),
            table: 1000,
            fwmark: Some(0x2a),
            fwmask: Some(0xff),
            src: Some(("10.3.0.0".parse().unwrap(), 16)),
            dst: None,
        }
    }

    #[test]
    fn a_mark_rule_is_encoded_as_ip_sends_it_and_reads_back() {
        let rule = mark_rule();
        let mut msg = rule_message(RTM_NEWRULE, NLM_F_CREATE | NLM_F_EXCL, &rule);
        let bytes = msg.finish(1)[NLMSG_HDRLEN..].to_vec();
        // inet, dst_len 0, src_len 16, table > 255 only in FRA_TABLE, action "to table"
        assert_eq!(&bytes[..8], &[2, 0, 16, 0, 0, 0, 0, FR_ACT_TO_TBL]);
        assert_eq!(find_attr(&bytes[RTMSG_LEN..], FRA_FWMARK).and_then(parse_u32), Some(0x2a));
        assert_eq!(parse_rule(&bytes), Some(rule.clone()));
        assert_eq!(rule.to_string(), "from 10.3.0.0/16 fwmark 0x2a/0xff lookup 1000");
    }

    #[test]
    fn a_rule_without_mark_has_no_mask_and_other_actions_are_skipped() {
        let rule = Rule { fwmark: None, fwmask: None, priority: None, src: None, table: 254, ..mark_rule() };
        let mut bytes = rule_message(RTM_NEWRULE, 0, &rule).finish(1)[NLMSG_HDRLEN..].to_vec();
        assert_eq!(parse_rule(&bytes), Some(Rule { priority: Some(0), ..rule }));
        bytes[7] = 6; // FR_ACT_UNREACHABLE
        assert_eq!(parse_rule(&bytes), None);
    }

    #[test]
    fn rules_are_added_listed_and_deleted_in_a_namespace() {
        use std::os::fd::AsFd;

        use crate::testutil::unshared_netns;
        use nix::errno::Errno;

        let ns = unshared_netns();
        let ns = ns.as_fd();
        let defaults = list_rules(ns).unwrap();
        // local, main and default for IPv4; local and main for IPv6.
        assert_eq!(
            defaults.iter().map(|r| (r.v6, r.table)).collect::<Vec<_>>(),
            [(false, 255), (false, 254), (false, 253), (true, 255), (true, 254)]
        );
        add_rule(ns, &mark_rule()).unwrap();
        let v6 =
            Rule { v6: true, src: Some(("fd00::".parse().unwrap(), 8)), fwmask: None, priority: None, ..mark_rule() };
        add_rule(ns, &v6).unwrap();
        let rules = list_rules(ns).unwrap();
        assert!(rules.contains(&mark_rule()));
        assert!(rules.iter().any(|r| r.v6 && r.fwmark == Some(0x2a) && r.fwmask == Some(u32::MAX) && r.src == v6.src));
        assert_eq!(add_rule(ns, &mark_rule()).unwrap_err().errno(), Some(Errno::EEXIST));
        delete_rule(ns, &mark_rule()).unwrap();
        delete_rule(ns, &v6).unwrap();
        assert_eq!(list_rules(ns).unwrap(), defaults);
        assert_eq!(delete_rule(ns, &mark_rule()).unwrap_err().errno(), Some(Errno::ENOENT));
    }
}
