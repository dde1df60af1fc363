//! The rtnetlink wire format (`netlink(7)`, `rtnetlink(7)`): a 16-byte `nlmsghdr`, a fixed
//! family header (`ifinfomsg`, `ifaddrmsg`, `rtmsg`, `fib_rule_hdr`), then type-length-value
//! attributes (`rtattr`/`nlattr`), every piece padded to 4 bytes, in host byte order.
//!
//! Everything here is pure: building requests and reading replies, no socket.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

// <linux/netlink.h>
pub(crate) const NLM_F_REQUEST: u16 = 0x1;
pub(crate) const NLM_F_ACK: u16 = 0x4;
pub(crate) const NLM_F_DUMP_INTR: u16 = 0x10;
pub(crate) const NLM_F_REPLACE: u16 = 0x100;
pub(crate) const NLM_F_EXCL: u16 = 0x200;
pub(crate) const NLM_F_CREATE: u16 = 0x400;
pub(crate) const NLM_F_DUMP: u16 = 0x300;
/// In an `NLMSG_ERROR`: the echoed request was cut to its header (`NETLINK_CAP_ACK`).
pub(crate) const NLM_F_CAPPED: u16 = 0x100;
/// In an `NLMSG_ERROR`: extended-ack attributes follow the echoed request (`NETLINK_EXT_ACK`).
pub(crate) const NLM_F_ACK_TLVS: u16 = 0x200;
pub(crate) const NLMSG_ERROR: u16 = 0x2;
pub(crate) const NLMSG_DONE: u16 = 0x3;
pub(crate) const NLMSG_HDRLEN: usize = 16;
/// `NLMSGERR_ATTR_MSG`: the kernel's explanation of an error, a NUL-terminated string.
const NLMSGERR_ATTR_MSG: u16 = 1;

// <linux/rtnetlink.h>
pub(crate) const RTM_NEWLINK: u16 = 16;
pub(crate) const RTM_DELLINK: u16 = 17;
pub(crate) const RTM_GETLINK: u16 = 18;
pub(crate) const RTM_NEWADDR: u16 = 20;
pub(crate) const RTM_DELADDR: u16 = 21;
pub(crate) const RTM_GETADDR: u16 = 22;
pub(crate) const RTM_NEWROUTE: u16 = 24;
pub(crate) const RTM_DELROUTE: u16 = 25;
pub(crate) const RTM_GETROUTE: u16 = 26;
pub(crate) const RTM_NEWRULE: u16 = 32;
pub(crate) const RTM_DELRULE: u16 = 33;
pub(crate) const RTM_GETRULE: u16 = 34;

/// Size of `struct ifinfomsg` (family, pad, type, index, flags, change).
pub(crate) const IFINFOMSG_LEN: usize = 16;
/// Size of `struct ifaddrmsg` (family, prefixlen, flags, scope, index).
pub(crate) const IFADDRMSG_LEN: usize = 8;
/// Size of `struct rtmsg` and of `struct fib_rule_hdr`, which share a layout: family, dst_len,
/// src_len, tos, table, then protocol/scope/type (route) or res1/res2/action (rule), flags.
pub(crate) const RTMSG_LEN: usize = 12;

/// Rounds up to the 4-byte alignment of netlink messages and attributes.
pub(crate) const fn align(len: usize) -> usize {
    (len + 3) & !3
}

/// `struct ifinfomsg`, as bytes.
pub(crate) fn ifinfomsg(family: u8, index: i32, flags: u32, change: u32) -> [u8; IFINFOMSG_LEN] {
    let mut b = [0u8; IFINFOMSG_LEN];
    b[0] = family;
    // b[1] is padding, b[2..4] the device type (ifi_type), both zero in requests.
    b[4..8].copy_from_slice(&index.to_ne_bytes());
    b[8..12].copy_from_slice(&flags.to_ne_bytes());
    b[12..16].copy_from_slice(&change.to_ne_bytes());
    b
}

/// `struct ifaddrmsg`, as bytes (flags 0, scope `RT_SCOPE_UNIVERSE`).
pub(crate) fn ifaddrmsg(family: u8, prefix_len: u8, index: u32) -> [u8; IFADDRMSG_LEN] {
    let mut b = [0u8; IFADDRMSG_LEN];
    b[0] = family;
    b[1] = prefix_len;
    b[4..8].copy_from_slice(&index.to_ne_bytes());
    b
}

/// `struct rtmsg` (routes) or `struct fib_rule_hdr` (rules): the eight byte fields, flags 0.
pub(crate) fn rtmsg(fields: [u8; 8]) -> [u8; RTMSG_LEN] {
    let mut b = [0u8; RTMSG_LEN];
    b[..8].copy_from_slice(&fields);
    b
}

/// The address family of an IP address (`AF_INET` or `AF_INET6`) and its bytes in network order.
pub(crate) fn ip_bytes(addr: IpAddr) -> (u8, Vec<u8>) {
    match addr {
        IpAddr::V4(a) => (libc::AF_INET as u8, a.octets().to_vec()),
        IpAddr::V6(a) => (libc::AF_INET6 as u8, a.octets().to_vec()),
    }
}

/// Reads an address attribute: 4 bytes are IPv4, 16 bytes IPv6, anything else `None`.
pub(crate) fn parse_ip(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::V4(Ipv4Addr::from(<[u8; 4]>::try_from(bytes).ok()?))),
        16 => Some(IpAddr::V6(Ipv6Addr::from(<[u8; 16]>::try_from(bytes).ok()?))),
        _ => None,
    }
}

/// Reads a `u32` attribute payload.
pub(crate) fn parse_u32(bytes: &[u8]) -> Option<u32> {
    Some(u32::from_ne_bytes(bytes.get(..4)?.try_into().ok()?))
}

/// Reads a string attribute payload, up to its NUL.
pub(crate) fn parse_str(bytes: &[u8]) -> String {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    String::from_utf8_lossy(&bytes[..end]).into_owned()
}

/// One netlink request under construction: header, family header, attributes.
#[derive(Debug)]
pub(crate) struct Message {
    buf: Vec<u8>,
}

impl Message {
    /// A request of type `ty` with `flags` (`NLM_F_REQUEST` is added) and a fixed family header.
    pub(crate) fn new(ty: u16, flags: u16, header: &[u8]) -> Message {
        let mut buf = vec![0u8; NLMSG_HDRLEN];
        buf[4..6].copy_from_slice(&ty.to_ne_bytes());
        buf[6..8].copy_from_slice(&(flags | NLM_F_REQUEST).to_ne_bytes());
        let mut m = Message { buf };
        m.put(header);
        m
    }

    fn put(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
        self.buf.resize(align(self.buf.len()), 0);
    }

    /// Appends the attribute `ty` with `value` as its payload.
    pub(crate) fn attr(&mut self, ty: u16, value: &[u8]) -> &mut Message {
        let len = u16::try_from(4 + value.len()).expect("netlink attribute longer than 64 KiB");
        self.buf.extend_from_slice(&len.to_ne_bytes());
        self.buf.extend_from_slice(&ty.to_ne_bytes());
        self.put(value);
        self
    }

    /// Appends a `u32` attribute.
    pub(crate) fn attr_u32(&mut self, ty: u16, value: u32) -> &mut Message {
        self.attr(ty, &value.to_ne_bytes())
    }

    /// Appends a string attribute, NUL-terminated as the kernel's `NLA_STRING`s are sent by iproute2.
    pub(crate) fn attr_str(&mut self, ty: u16, value: &str) -> &mut Message {
        let mut bytes = Vec::with_capacity(value.len() + 1);
        bytes.extend_from_slice(value.as_bytes());
        bytes.push(0);
        self.attr(ty, &bytes)
    }

    /// Opens a nested attribute `ty`; everything appended until [`Message::end_nest`] goes inside.
    pub(crate) fn begin_nest(&mut self, ty: u16) -> usize {
        let at = self.buf.len();
        self.attr(ty, &[]);
        at
    }

    /// Closes the nested attribute opened at `at`, writing its length.
    pub(crate) fn end_nest(&mut self, at: usize) -> &mut Message {
        let len = u16::try_from(self.buf.len() - at).expect("netlink attribute longer than 64 KiB");
        self.buf[at..at + 2].copy_from_slice(&len.to_ne_bytes());
        self
    }

    /// Appends raw bytes (a family header inside a nested attribute, as `VETH_INFO_PEER` has).
    pub(crate) fn raw(&mut self, bytes: &[u8]) -> &mut Message {
        self.put(bytes);
        self
    }

    /// Writes the length and sequence number into the header and returns the whole message.
    pub(crate) fn finish(&mut self, seq: u32) -> &[u8] {
        let len = u32::try_from(self.buf.len()).expect("netlink message longer than 4 GiB");
        self.buf[0..4].copy_from_slice(&len.to_ne_bytes());
        self.buf[8..12].copy_from_slice(&seq.to_ne_bytes());
        &self.buf
    }
}

/// Iterates over the attributes in `bytes`: `(type, payload)`, nested and byte-order flags masked off.
pub(crate) fn attrs(bytes: &[u8]) -> impl Iterator<Item = (u16, &[u8])> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.len() < 4 {
            return None;
        }
        let len = u16::from_ne_bytes([rest[0], rest[1]]) as usize;
        let ty = u16::from_ne_bytes([rest[2], rest[3]]) & 0x3fff;
        if len < 4 || len > rest.len() {
            return None;
        }
        let payload = &rest[4..len];
        rest = &rest[align(len).min(rest.len())..];
        Some((ty, payload))
    })
}

/// The payload of the first attribute `ty` in `bytes`.
pub(crate) fn find_attr(bytes: &[u8], ty: u16) -> Option<&[u8]> {
    attrs(bytes).find(|(t, _)| *t == ty).map(|(_, v)| v)
}

/// Reads the payload of an `NLMSG_ERROR` whose header had `flags`: the kernel's error (0 for
/// an acknowledgement, else a negated errno) and the extended-ack message, if it sent one.
///
/// The payload is `struct nlmsgerr` (the error, then the request's `nlmsghdr` and, unless
/// `NLM_F_CAPPED`, the rest of the request), followed by attributes if `NLM_F_ACK_TLVS`.
pub(crate) fn parse_error(payload: &[u8], flags: u16) -> (i32, Option<String>) {
    let Some(error) = payload.get(0..4).map(|b| i32::from_ne_bytes(b.try_into().unwrap())) else {
        return (0, None);
    };
    if flags & NLM_F_ACK_TLVS == 0 {
        return (error, None);
    }
    let echoed = if flags & NLM_F_CAPPED != 0 {
        NLMSG_HDRLEN
    } else {
        payload.get(4..8).map_or(NLMSG_HDRLEN, |b| u32::from_ne_bytes(b.try_into().unwrap()) as usize)
    };
    let tlvs = payload.get(align(4 + echoed)..).unwrap_or_default();
    let msg = find_attr(tlvs, NLMSGERR_ATTR_MSG).map(parse_str).filter(|m| !m.is_empty());
    (error, msg)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn message_layout_is_the_kernels() {
        let mut m = Message::new(RTM_NEWLINK, NLM_F_ACK, &ifinfomsg(0, 0, 1, 1));
        m.attr_str(3, "ab");
        let nest = m.begin_nest(18);
        m.attr(1, b"veth");
        m.end_nest(nest);
        let bytes = m.finish(7).to_vec();
        // header 16 + ifinfomsg 16 + "ab\0" attr (7 -> 8) + nest (4 + 8) = 52
        assert_eq!(bytes.len(), 52);
        assert_eq!(u32::from_ne_bytes(bytes[0..4].try_into().unwrap()), 52);
        assert_eq!(u16::from_ne_bytes([bytes[4], bytes[5]]), RTM_NEWLINK);
        assert_eq!(u16::from_ne_bytes([bytes[6], bytes[7]]), NLM_F_ACK | NLM_F_REQUEST);
        assert_eq!(u32::from_ne_bytes(bytes[8..12].try_into().unwrap()), 7);
        let found: Vec<(u16, Vec<u8>)> = attrs(&bytes[32..]).map(|(t, p)| (t, p.to_vec())).collect();
        assert_eq!(found, vec![(3, b"ab\0".to_vec()), (18, vec![8, 0, 1, 0, b'v', b'e', b't', b'h'])]);
    }

    #[test]
    fn attrs_stop_at_a_truncated_attribute() {
        let bytes = [8u8, 0, 1, 0, 1, 2, 3, 4, 12, 0, 2, 0, 9];
        let found: Vec<u16> = attrs(&bytes).map(|(t, _)| t).collect();
        assert_eq!(found, vec![1]);
    }

    #[test]
    fn addresses_and_u32s_round_trip() {
        for text in ["10.1.2.3", "fd00::7"] {
            let ip: IpAddr = text.parse().unwrap();
            let (family, bytes) = ip_bytes(ip);
            assert_eq!(family, if ip.is_ipv4() { 2 } else { 10 });
            assert_eq!(parse_ip(&bytes), Some(ip));
        }
        assert_eq!(parse_ip(&[1, 2, 3]), None);
        let mut m = Message::new(RTM_NEWROUTE, 0, &rtmsg([2, 24, 0, 0, 254, 3, 0, 1]));
        m.attr_u32(6, 0xdead_beef);
        let bytes = m.finish(1).to_vec();
        assert_eq!(&bytes[16..28], &[2, 24, 0, 0, 254, 3, 0, 1, 0, 0, 0, 0]);
        assert_eq!(find_attr(&bytes[28..], 6).and_then(parse_u32), Some(0xdead_beef));
        assert_eq!(find_attr(&bytes[28..], 7), None);
    }

    /// An `NLMSG_ERROR` payload as the kernel writes it: error, echoed header, then attributes.
    fn error_payload(error: i32, echoed: &[u8], tlv: Option<&str>) -> Vec<u8> {
        let mut p = error.to_ne_bytes().to_vec();
        p.extend_from_slice(echoed);
        p.resize(align(p.len()), 0);
        if let Some(text) = tlv {
            let mut m = Message::new(0, 0, &[]);
            m.attr_str(NLMSGERR_ATTR_MSG, text);
            p.extend_from_slice(&m.finish(0)[NLMSG_HDRLEN..]);
        }
        p
    }

    #[test]
    fn extended_ack_text_is_read_after_a_capped_or_full_echo() {
        let mut request = Message::new(RTM_NEWROUTE, NLM_F_ACK, &rtmsg([2, 0, 0, 0, 254, 3, 0, 1]));
        request.attr(5, &[10, 9, 9, 9]);
        let full = request.finish(3).to_vec();

        let capped = error_payload(-22, &full[..NLMSG_HDRLEN], Some("Nexthop has invalid gateway"));
        let (e, msg) = parse_error(&capped, NLM_F_CAPPED | NLM_F_ACK_TLVS);
        assert_eq!((e, msg.as_deref()), (-22, Some("Nexthop has invalid gateway")));

        let uncapped = error_payload(-22, &full, Some("Nexthop has invalid gateway"));
        let (e, msg) = parse_error(&uncapped, NLM_F_ACK_TLVS);
        assert_eq!((e, msg.as_deref()), (-22, Some("Nexthop has invalid gateway")));

        // Without NLM_F_ACK_TLVS nothing after the echo is read; an ack is error 0.
        assert_eq!(parse_error(&uncapped, 0), (-22, None));
        assert_eq!(parse_error(&error_payload(0, &full[..NLMSG_HDRLEN], None), NLM_F_CAPPED), (0, None));
        assert_eq!(parse_error(&[], 0), (0, None));
    }
}
