//! A `NETLINK_ROUTE` socket made inside a namespace, and the request/reply loop that turns the
//! kernel's `NLMSG_ERROR` into an [`Error`] carrying its errno and its extended-ack text.

use std::os::fd::{AsRawFd, BorrowedFd, OwnedFd};

use nix::errno::Errno;
use nix::sys::socket::{bind, socket, AddressFamily, NetlinkAddr, SockFlag, SockProtocol, SockType};

use super::message::{align, parse_error, Message, NLMSG_DONE, NLMSG_ERROR, NLMSG_HDRLEN, NLM_F_DUMP_INTR};
use crate::error::{Error, Result, Subject};
use crate::switch::NsGuard;

/// The largest reply datagram read at once; the kernel fits dump batches to the reader's buffer.
const RECV_BUF: usize = 64 * 1024;

/// How many times an interrupted dump (`NLM_F_DUMP_INTR`: the table changed meanwhile) is redone.
const DUMP_RETRIES: usize = 5;

// <linux/netlink.h>: socket options of level SOL_NETLINK.
const SOL_NETLINK: libc::c_int = 270;
const NETLINK_CAP_ACK: libc::c_int = 10;
const NETLINK_EXT_ACK: libc::c_int = 11;

/// Sets a boolean `SOL_NETLINK` option to 1.
fn enable(fd: &OwnedFd, option: libc::c_int) -> Result<()> {
    let one: libc::c_int = 1;
    // SAFETY: the option value is a c_int that lives across the call, and its size is given.
    let rc = unsafe {
        libc::setsockopt(
            fd.as_raw_fd(),
            SOL_NETLINK,
            option,
            (&one as *const libc::c_int).cast(),
            std::mem::size_of::<libc::c_int>() as libc::socklen_t,
        )
    };
    Errno::result(rc).map(drop).map_err(|e| Error::sys(e, "setsockopt", Subject::Fd(fd.as_raw_fd())))
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
        bind(fd.as_raw_fd(), &NetlinkAddr::new(0, 0))
            .map_err(|e| Error::sys(e, "bind", Subject::Fd(fd.as_raw_fd())))?;
        // Errors then carry the kernel's explanation, after an echo of only the request's header.
        enable(&fd, NETLINK_EXT_ACK)?;
        enable(&fd, NETLINK_CAP_ACK)?;
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
                        let (error, detail) = parse_error(payload, if ty == NLMSG_ERROR { flags } else { 0 });
                        if error < 0 {
                            return Err(Error::sys(Errno::from_raw(-error), op, subject.clone()).with_detail(detail));
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
