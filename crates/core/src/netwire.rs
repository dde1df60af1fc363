//! The rtnetlink values that go to and from the rootless helper (links, link changes, addresses,
//! routes, rules), written and read field by field with [`crate::wire`].

use crate::error::Result;
use crate::netlink::{Link, LinkAddress, LinkChanges, Route, Rule};
use crate::wire::{Reader, Writer};

pub(crate) fn put_link<'w>(w: &'w mut Writer, l: &Link) -> &'w mut Writer {
    w.str(&l.name).u32(l.index).bool(l.up).u32(l.mtu);
    w.opt_str(l.address.as_deref()).opt_str(l.kind.as_deref()).opt_str(l.master.as_deref());
    w.u32(l.tx_queue_len)
}

pub(crate) fn get_link(r: &mut Reader<'_>) -> Result<Link> {
    Ok(Link {
        name: r.string()?,
        index: r.u32()?,
        up: r.bool()?,
        mtu: r.u32()?,
        address: r.opt_string()?,
        kind: r.opt_string()?,
        master: r.opt_string()?,
        tx_queue_len: r.u32()?,
    })
}

pub(crate) fn put_changes<'w>(w: &'w mut Writer, c: &LinkChanges) -> &'w mut Writer {
    w.opt(c.up, Writer::bool).opt(c.mtu, Writer::u32).opt_str(c.name.as_deref());
    w.opt(c.master.as_ref(), |w, m| w.opt_str(m.as_deref()));
    w.opt(c.address.as_deref(), Writer::bytes).opt(c.tx_queue_len, Writer::u32)
}

pub(crate) fn get_changes(r: &mut Reader<'_>) -> Result<LinkChanges> {
    Ok(LinkChanges {
        up: r.opt(Reader::bool)?,
        mtu: r.opt(Reader::u32)?,
        name: r.opt_string()?,
        master: r.opt(Reader::opt_string)?,
        address: r.opt(|r| r.bytes().map(<[u8]>::to_vec))?,
        tx_queue_len: r.opt(Reader::u32)?,
    })
}

pub(crate) fn put_address<'w>(w: &'w mut Writer, a: &LinkAddress) -> &'w mut Writer {
    w.str(&a.name).u32(a.index).ip(a.address).u8(a.prefix_len).u8(a.scope)
}

pub(crate) fn get_address(r: &mut Reader<'_>) -> Result<LinkAddress> {
    Ok(LinkAddress { name: r.string()?, index: r.u32()?, address: r.ip()?, prefix_len: r.u8()?, scope: r.u8()? })
}

pub(crate) fn put_route<'w>(w: &'w mut Writer, route: &Route) -> &'w mut Writer {
    w.ip(route.dst).u8(route.dst_len).opt(route.gateway, Writer::ip).opt_str(route.dev.as_deref());
    w.opt(route.src, Writer::ip).opt(route.metric, Writer::u32).opt(route.table, Writer::u32);
    w.opt(route.scope, Writer::u8).opt(route.kind, Writer::u8).opt(route.protocol, Writer::u8)
}

pub(crate) fn get_route(r: &mut Reader<'_>) -> Result<Route> {
    Ok(Route {
        dst: r.ip()?,
        dst_len: r.u8()?,
        gateway: r.opt(Reader::ip)?,
        dev: r.opt_string()?,
        src: r.opt(Reader::ip)?,
        metric: r.opt(Reader::u32)?,
        table: r.opt(Reader::u32)?,
        scope: r.opt(Reader::u8)?,
        kind: r.opt(Reader::u8)?,
        protocol: r.opt(Reader::u8)?,
    })
}

pub(crate) fn put_rule<'w>(w: &'w mut Writer, rule: &Rule) -> &'w mut Writer {
    w.bool(rule.v6).opt(rule.priority, Writer::u32).u32(rule.table);
    w.opt(rule.fwmark, Writer::u32).opt(rule.fwmask, Writer::u32);
    w.opt(rule.src, |w, (a, len)| w.ip(a).u8(len)).opt(rule.dst, |w, (a, len)| w.ip(a).u8(len))
}

pub(crate) fn get_rule(r: &mut Reader<'_>) -> Result<Rule> {
    let net = |r: &mut Reader<'_>| Ok((r.ip()?, r.u8()?));
    Ok(Rule {
        v6: r.bool()?,
        priority: r.opt(Reader::u32)?,
        table: r.u32()?,
        fwmark: r.opt(Reader::u32)?,
        fwmask: r.opt(Reader::u32)?,
        src: r.opt(net)?,
        dst: r.opt(net)?,
    })
}
