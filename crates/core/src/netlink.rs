//! The few pieces of rtnetlink (`rtnetlink(7)`) that [`crate::link`] needs: a `NETLINK_ROUTE`
//! socket made inside a namespace, a message builder, and a request/reply loop that turns the
//! kernel's `NLMSG_ERROR` into an [`Error`].
//!
//! The wire format is the kernel's (`netlink(7)`, `<linux/netlink.h>`, `<linux/rtnetlink.h>`,
//! `<linux/if_link.h>`, `<linux/veth.h>`): a 16-byte `nlmsghdr`, a fixed family header, then
//! type-length-value attributes (`rtattr`/`nlattr`), every piece padded to 4 bytes, in host byte
//! order.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{bind, socket, AddressFamily, NetlinkAddr, SockFlag, SockProtocol, SockType};

use crate::error::{Error, Result, Subject};
use crate::switch::NsGuard;

// <linux/netlink.h>
pub(crate) const NLM_F_REQUEST: u16 = 0x1;
pub(crate) const NLM_F_ACK: u16 = 0x4;
pub(crate) const NLM_F_DUMP_INTR: u16 = 0x10;
pub(crate) const NLM_F_DUMP: u16 = 0x300;
pub(crate) const NLM_F_EXCL: u16 = 0x200;
pub(crate) const NLM_F_CREATE: u16 = 0x400;
const NLMSG_ERROR: u16 = 0x2;
const NLMSG_DONE: u16 = 0x3;
const NLMSG_HDRLEN: usize = 16;

// <linux/rtnetlink.h>
pub(crate) const RTM_NEWLINK: u16 = 16;
pub(crate) const RTM_DELLINK: u16 = 17;
pub(crate) const RTM_GETLINK: u16 = 18;
pub(crate) const RTM_NEWADDR: u16 = 20;

/// Size of `struct ifinfomsg` (family, pad, type, index, flags, change).
pub(crate) const IFINFOMSG_LEN: usize = 16;
/// Size of `struct ifaddrmsg` (family, prefixlen, flags, scope, index).
pub(crate) const IFADDRMSG_LEN: usize = 8;

/// The largest reply datagram read at once; the kernel fits dump batches to the reader's buffer.
const RECV_BUF: usize = 64 * 1024;

/// How many times an interrupted dump (`NLM_F_DUMP_INTR`: the table changed meanwhile) is redone.
const DUMP_RETRIES: usize = 5;

/// Rounds up to the 4-byte alignment of netlink messages and attributes.
const fn align(len: usize) -> usize {
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

    fn finish(&mut self, seq: u32) -> &[u8] {
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

/// A `NETLINK_ROUTE` socket that belongs to one network namespace.
#[derive(Debug)]
pub(crate) struct RouteSocket {
    fd: OwnedFd,
    seq: u32,
}

impl RouteSocket {
    /// Opens a `NETLINK_ROUTE` socket (close-on-exec) inside the namespace behind `ns`.
    ///
    /// The thread is switched only while the socket is created; the socket stays in `ns` for life.
    pub(crate) fn open_in(ns: BorrowedFd<'_>) -> Result<RouteSocket> {
        let fd = {
            let _guard = NsGuard::enter(ns)?;
            socket(AddressFamily::Netlink, SockType::Raw, SockFlag::SOCK_CLOEXEC, SockProtocol::NetlinkRoute)
                .map_err(|e| Error::sys(e, "socket", Subject::None))?
        };
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0)).map_err(|e| Error::sys(e, "bind", Subject::Fd(fd.as_raw_fd())))?;
        Ok(RouteSocket { fd, seq: 0 })
    }

    /// Sends `msg` and reads the replies that carry its sequence number until the kernel's
    /// acknowledgement (`NLMSG_ERROR` with error 0) or the end of a dump (`NLMSG_DONE`).
    ///
    /// Returns the payloads of the other replies (for `RTM_GETLINK`, one `ifinfomsg` plus
    /// attributes per link). A negative error from the kernel becomes `Error::sys(errno, op, subject)`.
    pub(crate) fn request(&mut self, msg: &mut Message, op: &'static str, subject: &Subject) -> Result<Vec<Vec<u8>>> {
        for _ in 0..DUMP_RETRIES {
            if let Some(replies) = self.exchange(msg, op, subject)? {
                return Ok(replies);
            }
        }
        Err(Error::sys(Errno::EINTR, op, subject.clone()))
    }

    /// One round of [`RouteSocket::request`]; `None` if a dump was interrupted and must be redone.
    fn exchange(&mut self, msg: &mut Message, op: &'static str, subject: &Subject) -> Result<Option<Vec<Vec<u8>>>> {
        let raw = self.fd.as_raw_fd();
        self.seq = self.seq.wrapping_add(1);
        let seq = self.seq;
        let bytes = msg.finish(seq);
        let kernel = NetlinkAddr::new(0, 0);
        let sent = nix::sys::socket::sendto(raw, bytes, &kernel, nix::sys::socket::MsgFlags::empty())
            .map_err(|e| Error::sys(e, "sendto", Subject::Fd(raw)))?;
        if sent != bytes.len() {
            return Err(Error::sys(Errno::EMSGSIZE, "sendto", Subject::Fd(raw)));
        }

        let mut replies = Vec::new();
        let mut interrupted = false;
        let mut buf = vec![0u8; RECV_BUF];
        loop {
            let len = self.recv_from_kernel(&mut buf)?;
            let mut rest = &buf[..len];
            while rest.len() >= NLMSG_HDRLEN {
                let msg_len = u32::from_ne_bytes(rest[0..4].try_into().unwrap()) as usize;
                let ty = u16::from_ne_bytes([rest[4], rest[5]]);
                let flags = u16::from_ne_bytes([rest[6], rest[7]]);
                let msg_seq = u32::from_ne_bytes(rest[8..12].try_into().unwrap());
                if msg_len < NLMSG_HDRLEN || msg_len > rest.len() {
                    return Err(Error::sys(Errno::EBADMSG, "recvfrom", Subject::Fd(raw)));
                }
                let payload = &rest[NLMSG_HDRLEN..msg_len];
                rest = &rest[align(msg_len).min(rest.len())..];
                if msg_seq != seq {
                    continue; // a late reply to an earlier request
                }
                interrupted |= flags & NLM_F_DUMP_INTR != 0;
                match ty {
                    NLMSG_ERROR | NLMSG_DONE => {
                        // nlmsgerr starts with the (negative) error; NLMSG_DONE carries one too.
                        let error = payload.get(0..4).map(|b| i32::from_ne_bytes(b.try_into().unwrap())).unwrap_or(0);
                        if error < 0 {
                            return Err(Error::sys(Errno::from_raw(-error), op, subject.clone()));
                        }
                        return Ok(if interrupted { None } else { Some(replies) });
                    }
                    _ => replies.push(payload.to_vec()),
                }
            }
        }
    }

    /// Reads one datagram from the kernel (port 0) into `buf`, skipping any from elsewhere.
    fn recv_from_kernel(&self, buf: &mut [u8]) -> Result<usize> {
        let raw = self.fd.as_raw_fd();
        loop {
            // SAFETY: sockaddr_nl is plain data; recvfrom writes at most `buf.len()` bytes into
            // `buf` and at most `addr_len` bytes into `addr`.
            let mut addr: libc::sockaddr_nl = unsafe { std::mem::zeroed() };
            let mut addr_len = std::mem::size_of::<libc::sockaddr_nl>() as libc::socklen_t;
            let n = unsafe {
                libc::recvfrom(
                    raw,
                    buf.as_mut_ptr().cast(),
                    buf.len(),
                    libc::MSG_TRUNC,
                    (&mut addr as *mut libc::sockaddr_nl).cast(),
                    &mut addr_len,
                )
            };
            let n = Errno::result(n).map_err(|e| Error::sys(e, "recvfrom", Subject::Fd(raw)))? as usize;
            if n > buf.len() {
                return Err(Error::sys(Errno::EMSGSIZE, "recvfrom", Subject::Fd(raw)));
            }
            if addr.nl_pid == 0 {
                return Ok(n);
            }
        }
    }
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
}
