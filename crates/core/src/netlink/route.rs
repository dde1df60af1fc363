//! Routes of a namespace, over rtnetlink: add, replace, delete, list (`ip route add|replace|del|
//! show`), IPv4 and IPv6, of any table, with the route types `ip` knows (unicast, blackhole,
//! unreachable, prohibit, local, ...).

use std::fmt;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::os::fd::BorrowedFd;

use super::link::{dump_links, index_of};
use super::message::{
    find_attr, ip_bytes, parse_ip, parse_u32, rtmsg, Message, NLM_F_ACK, NLM_F_CREATE, NLM_F_DUMP, NLM_F_EXCL,
    NLM_F_REPLACE, RTMSG_LEN, RTM_DELROUTE, RTM_GETROUTE, RTM_NEWROUTE,
};
use super::socket::RouteSocket;
use crate::error::{Result, Subject};

// <linux/rtnetlink.h>
const RTA_DST: u16 = 1;
const RTA_OIF: u16 = 4;
const RTA_GATEWAY: u16 = 5;
const RTA_PRIORITY: u16 = 6;
const RTA_PREFSRC: u16 = 7;
const RTA_TABLE: u16 = 15;
const RTM_F_CLONED: u32 = 0x200;
const RTPROT_BOOT: u8 = 3;

/// `RT_TABLE_MAIN`: the table `ip route` uses when none is named.
pub const RT_TABLE_MAIN: u32 = 254;
/// `RTN_UNICAST`: a route to a gateway or a directly connected network.
pub const RTN_UNICAST: u8 = 1;
/// `RTN_LOCAL`: a local address.
pub const RTN_LOCAL: u8 = 2;
/// `RTN_BROADCAST`: a broadcast address, sent as broadcast.
pub const RTN_BROADCAST: u8 = 3;
/// `RTN_ANYCAST`: a local anycast address.
pub const RTN_ANYCAST: u8 = 4;
/// `RTN_MULTICAST`: a multicast route.
pub const RTN_MULTICAST: u8 = 5;
/// `RTN_BLACKHOLE`: packets are dropped silently.
pub const RTN_BLACKHOLE: u8 = 6;
/// `RTN_UNREACHABLE`: the destination is unreachable (`EHOSTUNREACH` locally).
pub const RTN_UNREACHABLE: u8 = 7;
/// `RTN_PROHIBIT`: administratively prohibited (`EACCES` locally).
pub const RTN_PROHIBIT: u8 = 8;
/// `RTN_THROW`: the lookup goes on with the next policy rule.
pub const RTN_THROW: u8 = 9;
/// `RT_SCOPE_UNIVERSE`: a route anywhere (`global`).
pub const RT_SCOPE_UNIVERSE: u8 = 0;
/// `RT_SCOPE_LINK`: a destination on the attached link.
pub const RT_SCOPE_LINK: u8 = 253;
/// `RT_SCOPE_HOST`: a destination on this host.
pub const RT_SCOPE_HOST: u8 = 254;
/// `RT_SCOPE_NOWHERE`: no destination; in a delete request, any scope.
pub const RT_SCOPE_NOWHERE: u8 = 255;

/// A route: what is added, replaced or deleted, and what [`list_routes`] reports.
///
/// In a request, `None` leaves a field to the kernel or to `ip`'s defaults (table main, type
/// unicast, the scope `ip` would pick); in a delete, `None` matches any value. Listed routes have
/// `table`, `scope`, `kind` and `protocol` set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Route {
    /// The destination network's address; its family is the route's.
    pub dst: IpAddr,
    /// The destination's prefix length; 0 is the default route of the family.
    pub dst_len: u8,
    /// The gateway (`via`, `RTA_GATEWAY`).
    pub gateway: Option<IpAddr>,
    /// The output device's name (`dev`, `RTA_OIF`).
    pub dev: Option<String>,
    /// The preferred source address (`src`, `RTA_PREFSRC`).
    pub src: Option<IpAddr>,
    /// The metric (`metric`, `RTA_PRIORITY`).
    pub metric: Option<u32>,
    /// The routing table (`RTA_TABLE`; main is [`RT_TABLE_MAIN`]).
    pub table: Option<u32>,
    /// The scope (`RT_SCOPE_*`).
    pub scope: Option<u8>,
    /// The route type (`RTN_*`).
    pub kind: Option<u8>,
    /// Who made it (`RTPROT_*`: 2 kernel, 3 boot (`ip route add`, and this module), 4 static).
    pub protocol: Option<u8>,
}

impl Route {
    /// A route to `dst/dst_len` with every other field left to the defaults.
    pub fn to(dst: IpAddr, dst_len: u8) -> Route {
        Route {
            dst,
            dst_len,
            gateway: None,
            dev: None,
            src: None,
            metric: None,
            table: None,
            scope: None,
            kind: None,
            protocol: None,
        }
    }
}

/// The destination as `ip` names it: `default` or `ADDRESS/PREFIX`.
impl fmt::Display for Route {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.dst_len == 0 {
            f.write_str("default")
        } else {
            write!(f, "{}/{}", self.dst, self.dst_len)
        }
    }
}

/// The scope `ip route add` picks when none is given: host for local routes, link for
/// broadcast, multicast and anycast and for unicast routes without a gateway, global otherwise.
fn default_scope(route: &Route, kind: u8) -> u8 {
    match kind {
        RTN_LOCAL => RT_SCOPE_HOST,
        RTN_BROADCAST | RTN_MULTICAST | RTN_ANYCAST => RT_SCOPE_LINK,
        RTN_UNICAST if route.gateway.is_none() => RT_SCOPE_LINK,
        _ => RT_SCOPE_UNIVERSE,
    }
}

/// The request for `route`: `ty` is `RTM_NEWROUTE` or `RTM_DELROUTE`, `oif` the device index.
pub(crate) fn route_message(ty: u16, flags: u16, route: &Route, oif: Option<u32>) -> Message {
    let (family, dst) = ip_bytes(route.dst);
    let table = route.table.unwrap_or(RT_TABLE_MAIN);
    let adding = ty == RTM_NEWROUTE;
    let kind = route.kind.unwrap_or(if adding { RTN_UNICAST } else { 0 });
    let scope = route.scope.unwrap_or_else(|| if adding { default_scope(route, kind) } else { RT_SCOPE_NOWHERE });
    let protocol = route.protocol.unwrap_or(if adding { RTPROT_BOOT } else { 0 });
    let short_table = u8::try_from(table).unwrap_or(0);
    let header = rtmsg([family, route.dst_len, 0, 0, short_table, protocol, scope, kind]);
    let mut msg = Message::new(ty, NLM_F_ACK | flags, &header);
    msg.attr_u32(RTA_TABLE, table);
    if route.dst_len > 0 {
        msg.attr(RTA_DST, &dst[..]);
    }
    if let Some(gateway) = route.gateway {
        msg.attr(RTA_GATEWAY, &ip_bytes(gateway).1);
    }
    if let Some(oif) = oif {
        msg.attr_u32(RTA_OIF, oif);
    }
    if let Some(src) = route.src {
        msg.attr(RTA_PREFSRC, &ip_bytes(src).1);
    }
    if let Some(metric) = route.metric {
        msg.attr_u32(RTA_PRIORITY, metric);
    }
    msg
}

/// Resolves the device and sends the request for `route`.
fn change(ns: BorrowedFd<'_>, ty: u16, flags: u16, op: &'static str, route: &Route) -> Result<()> {
    let mut sock = RouteSocket::open_in(ns)?;
    let oif = route.dev.as_deref().map(|dev| index_of(&mut sock, dev)).transpose()?;
    let mut msg = route_message(ty, flags, route, oif);
    sock.request(&mut msg, op, &Subject::Name(route.to_string()))?;
    Ok(())
}

/// Adds `route` to `ns` (`RTM_NEWROUTE`, as `ip route add`). `EEXIST` if the table already has
/// a route to the same destination with the same metric; a gateway on no link is
/// `ENETUNREACH` with the kernel's "Nexthop has invalid gateway"; a missing device `ENODEV`.
pub fn add_route(ns: BorrowedFd<'_>, route: &Route) -> Result<()> {
    change(ns, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, "RTM_NEWROUTE", route)
}

/// Adds `route` or replaces the route to the same destination and metric (`ip route replace`).
pub fn replace_route(ns: BorrowedFd<'_>, route: &Route) -> Result<()> {
    change(ns, RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE, "RTM_NEWROUTE", route)
}

/// Deletes the route that matches `route` (`RTM_DELROUTE`, as `ip route del`); its `None`
/// fields match anything. `ESRCH` if no route matches.
pub fn delete_route(ns: BorrowedFd<'_>, route: &Route) -> Result<()> {
    change(ns, RTM_DELROUTE, 0, "RTM_DELROUTE", route)
}

/// The routes of `ns` (an `RTM_GETROUTE` dump): of the table `table` (every table when `None`),
/// IPv4 and IPv6 or only the family of `v6`, without cached clones.
pub fn list_routes(ns: BorrowedFd<'_>, v6: Option<bool>, table: Option<u32>) -> Result<Vec<Route>> {
    let mut sock = RouteSocket::open_in(ns)?;
    let links = dump_links(&mut sock)?;
    let family = match v6 {
        None => 0,
        Some(false) => libc::AF_INET as u8,
        Some(true) => libc::AF_INET6 as u8,
    };
    let mut msg = Message::new(RTM_GETROUTE, NLM_F_DUMP, &rtmsg([family, 0, 0, 0, 0, 0, 0, 0]));
    let replies = sock.request(&mut msg, "RTM_GETROUTE", &Subject::None)?;
    let name_of = |index: u32| links.iter().find(|(l, _)| l.index == index).map(|(l, _)| l.name.clone());
    Ok(replies
        .iter()
        .filter_map(|r| parse_route(r))
        .filter(|(route, _)| table.is_none_or(|t| route.table == Some(t)))
        .map(|(route, oif)| Route { dev: oif.and_then(name_of), ..route })
        .collect())
}

/// Reads an `RTM_NEWROUTE` reply; the device is left as its index. Cached clones are skipped.
pub(crate) fn parse_route(payload: &[u8]) -> Option<(Route, Option<u32>)> {
    let h = payload.get(..RTMSG_LEN)?;
    let flags = u32::from_ne_bytes(h[8..12].try_into().ok()?);
    if flags & RTM_F_CLONED != 0 {
        return None;
    }
    let rest = &payload[RTMSG_LEN..];
    let unspecified = match i32::from(h[0]) {
        libc::AF_INET => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        libc::AF_INET6 => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
        _ => return None,
    };
    let ip_attr = |ty| find_attr(rest, ty).and_then(parse_ip);
    let route = Route {
        dst: ip_attr(RTA_DST).unwrap_or(unspecified),
        dst_len: h[1],
        gateway: ip_attr(RTA_GATEWAY),
        dev: None,
        src: ip_attr(RTA_PREFSRC),
        metric: find_attr(rest, RTA_PRIORITY).and_then(parse_u32),
        table: Some(find_attr(rest, RTA_TABLE).and_then(parse_u32).unwrap_or(u32::from(h[4]))),
        scope: Some(h[6]),
        kind: Some(h[7]),
        protocol: Some(h[5]),
    };
    Some((route, find_attr(rest, RTA_OIF).and_then(parse_u32)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::netlink::message::{attrs, NLMSG_HDRLEN};

    fn v4(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    /// The body of a request after the `nlmsghdr`, as the kernel reads it.
    fn body(mut msg: Message) -> Vec<u8> {
        msg.finish(1)[NLMSG_HDRLEN..].to_vec()
    }

    #[test]
    fn a_default_route_via_a_gateway_is_what_ip_sends() {
        let route = Route { gateway: Some(v4("10.1.0.1")), ..Route::to(v4("0.0.0.0"), 0) };
        let bytes = body(route_message(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_EXCL, &route, Some(3)));
        // family inet, /0, table main, proto boot, scope universe (it has a gateway), unicast
        assert_eq!(&bytes[..8], &[2, 0, 0, 0, 254, RTPROT_BOOT, RT_SCOPE_UNIVERSE, RTN_UNICAST]);
        let found: Vec<(u16, Vec<u8>)> = attrs(&bytes[RTMSG_LEN..]).map(|(t, v)| (t, v.to_vec())).collect();
        assert_eq!(
            found,
            vec![
                (RTA_TABLE, 254u32.to_ne_bytes().to_vec()),
                (RTA_GATEWAY, vec![10, 1, 0, 1]),
                (RTA_OIF, 3u32.to_ne_bytes().to_vec())
            ]
        );
    }

    #[test]
    fn defaults_follow_ip_for_scope_table_and_deletes() {
        let on_link = Route { dev: Some("v0".into()), table: Some(1000), ..Route::to(v4("10.2.0.0"), 16) };
        let bytes = body(route_message(RTM_NEWROUTE, 0, &on_link, Some(2)));
        // A table above 255 only travels in RTA_TABLE; no gateway means scope link.
        assert_eq!(&bytes[..8], &[2, 16, 0, 0, 0, RTPROT_BOOT, RT_SCOPE_LINK, RTN_UNICAST]);
        assert_eq!(find_attr(&bytes[RTMSG_LEN..], RTA_TABLE).and_then(parse_u32), Some(1000));
        assert_eq!(find_attr(&bytes[RTMSG_LEN..], RTA_DST), Some(&[10, 2, 0, 0][..]));

        let local = Route { kind: Some(RTN_LOCAL), ..Route::to(v4("10.2.0.1"), 32) };
        assert_eq!(body(route_message(RTM_NEWROUTE, 0, &local, None))[6], RT_SCOPE_HOST);
        let hole = Route { kind: Some(RTN_BLACKHOLE), ..Route::to("fd00::".parse().unwrap(), 8) };
        assert_eq!(&body(route_message(RTM_NEWROUTE, 0, &hole, None))[..8], &[10, 8, 0, 0, 254, 3, 0, RTN_BLACKHOLE]);

        // A delete leaves type, scope and protocol open, as `ip route del` does.
        let del = body(route_message(RTM_DELROUTE, 0, &Route::to(v4("10.2.0.0"), 16), None));
        assert_eq!(&del[..8], &[2, 16, 0, 0, 254, 0, RT_SCOPE_NOWHERE, 0]);
    }

    #[test]
    fn a_listed_route_reads_back_what_was_sent() {
        let route = Route {
            gateway: Some("fd00::1".parse().unwrap()),
            src: Some("fd00::2".parse().unwrap()),
            metric: Some(7),
            table: Some(300),
            scope: Some(0),
            kind: Some(RTN_UNICAST),
            protocol: Some(RTPROT_BOOT),
            ..Route::to("fd00:1::".parse().unwrap(), 64)
        };
        let parsed = parse_route(&body(route_message(RTM_NEWROUTE, 0, &route, Some(4)))).unwrap();
        assert_eq!(parsed, (route.clone(), Some(4)));
        assert_eq!(route.to_string(), "fd00:1::/64");
        assert_eq!(Route::to(v4("0.0.0.0"), 0).to_string(), "default");
    }

    #[test]
    fn routes_round_trip_through_the_kernel_and_a_gateway_on_no_link_is_explained() {
        use std::os::fd::AsFd;

        use crate::error::Error;
        use crate::netlink::{add_address, add_veth, set_link_up};
        use crate::testutil::unshared_netns;
        use nix::errno::Errno;

        let ns = unshared_netns();
        let ns = ns.as_fd();
        add_veth(ns, "r0", "r1", None).unwrap();
        set_link_up(ns, "r0", true).unwrap();
        add_address(ns, "r0", v4("10.4.0.1"), 24).unwrap();
        let default = Route {
            gateway: Some(v4("10.4.0.2")),
            dev: Some("r0".into()),
            metric: Some(5),
            ..Route::to(v4("0.0.0.0"), 0)
        };
        add_route(ns, &default).unwrap();
        let hole = Route { kind: Some(RTN_BLACKHOLE), table: Some(1000), ..Route::to("fd00:9::".parse().unwrap(), 32) };
        add_route(ns, &hole).unwrap();

        let main = list_routes(ns, Some(false), Some(RT_TABLE_MAIN)).unwrap();
        let found = main.iter().find(|r| r.dst_len == 0).unwrap();
        let expected = Route {
            table: Some(254),
            scope: Some(0),
            kind: Some(RTN_UNICAST),
            protocol: Some(RTPROT_BOOT),
            ..default.clone()
        };
        assert_eq!(found, &expected);
        let in_1000 = list_routes(ns, Some(true), Some(1000)).unwrap();
        assert_eq!(in_1000.len(), 1);
        assert_eq!((in_1000[0].dst, in_1000[0].dst_len, in_1000[0].kind), (hole.dst, 32, Some(RTN_BLACKHOLE)));

        let dup = add_route(ns, &default).unwrap_err();
        assert_eq!(dup.errno(), Some(Errno::EEXIST));
        replace_route(ns, &Route { gateway: Some(v4("10.4.0.3")), ..default.clone() }).unwrap();
        delete_route(ns, &Route::to(v4("0.0.0.0"), 0)).unwrap();
        delete_route(ns, &hole).unwrap();
        assert!(list_routes(ns, None, Some(1000)).unwrap().is_empty());
        let gone = delete_route(ns, &hole).unwrap_err();
        assert_eq!(gone.errno(), Some(Errno::ESRCH));

        // A gateway on no link: the kernel says why in its extended ack.
        let off_link = Route { gateway: Some(v4("10.9.9.9")), ..Route::to(v4("0.0.0.0"), 0) };
        let e = add_route(ns, &off_link).unwrap_err();
        let Error::Sys { errno, syscall, detail, .. } = e else { panic!("{e:?}") };
        assert_eq!(
            (errno, syscall, detail.as_deref()),
            (Errno::ENETUNREACH, "RTM_NEWROUTE", Some("Nexthop has invalid gateway"))
        );
        let e = add_route(ns, &Route { dev: Some("r0".into()), ..off_link }).unwrap_err();
        assert_eq!(
            e.to_string(),
            "ENETUNREACH: network is unreachable, RTM_NEWROUTE 'default': Nexthop has invalid gateway"
        );
    }
}
