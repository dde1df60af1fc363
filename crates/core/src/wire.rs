//! The bytes and fds that go between a process and its rootless helper: one `SOCK_SEQPACKET`
//! message per request or reply (`unix(7)`), its fds attached as `SCM_RIGHTS`, its fields written
//! in host byte order (both ends are the same build of this crate on the same machine).

use std::io::{IoSlice, IoSliceMut};
use std::net::IpAddr;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::path::PathBuf;

use nix::errno::Errno;
use nix::sys::socket::{recvmsg, sendmsg, ControlMessage, ControlMessageOwned, MsgFlags};

use crate::error::{Error, Result, Subject};

/// The most fds one message carries (a socket and its spares, at most `1 + SOCKET_POOL_MAX`).
pub(crate) const MAX_FDS: usize = 96;
/// The largest message (a list of links is the longest).
pub(crate) const MAX_MESSAGE: usize = 256 * 1024;

/// What is named in the errors of the channel.
pub(crate) fn channel() -> Subject {
    Subject::Name("netns rootless helper".into())
}

/// A message the peer sent that this build cannot read: `EPROTO`.
pub(crate) fn garbled() -> Error {
    Error::sys(Errno::EPROTO, "recvmsg", channel())
}

/// Builds a message, field by field.
#[derive(Default)]
pub(crate) struct Writer(pub(crate) Vec<u8>);

impl Writer {
    pub(crate) fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }

    pub(crate) fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_ne_bytes());
        self
    }

    pub(crate) fn bool(&mut self, v: bool) -> &mut Self {
        self.u8(v as u8)
    }

    pub(crate) fn i32(&mut self, v: i32) -> &mut Self {
        self.0.extend_from_slice(&v.to_ne_bytes());
        self
    }

    pub(crate) fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.u32(v.len() as u32);
        self.0.extend_from_slice(v);
        self
    }

    pub(crate) fn str(&mut self, v: &str) -> &mut Self {
        self.bytes(v.as_bytes())
    }

    pub(crate) fn opt_str(&mut self, v: Option<&str>) -> &mut Self {
        self.opt(v, Self::str)
    }

    /// 0 for `None`, else 1 and what `put` writes of the value.
    pub(crate) fn opt<T>(&mut self, v: Option<T>, put: impl FnOnce(&mut Self, T) -> &mut Self) -> &mut Self {
        match v {
            None => self.u8(0),
            Some(v) => put(self.u8(1), v),
        }
    }

    /// The number of items, then what `put` writes of each.
    pub(crate) fn list<T>(
        &mut self,
        items: &[T],
        mut put: impl for<'w> FnMut(&'w mut Self, &T) -> &'w mut Self,
    ) -> &mut Self {
        self.u32(items.len() as u32);
        for item in items {
            put(self, item);
        }
        self
    }

    /// An IPv4 or IPv6 address: its family (4 or 6), then its bytes.
    pub(crate) fn ip(&mut self, ip: IpAddr) -> &mut Self {
        match ip {
            IpAddr::V4(a) => self.u8(4).bytes(&a.octets()),
            IpAddr::V6(a) => self.u8(6).bytes(&a.octets()),
        }
    }
}

/// Reads a message, field by field; a short or malformed message is [`garbled`].
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
}

impl<'a> Reader<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Reader<'a> {
        Reader { buf }
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8]> {
        if self.buf.len() < n {
            return Err(garbled());
        }
        let (head, rest) = self.buf.split_at(n);
        self.buf = rest;
        Ok(head)
    }

    pub(crate) fn u8(&mut self) -> Result<u8> {
        Ok(self.take(1)?[0])
    }

    pub(crate) fn u32(&mut self) -> Result<u32> {
        Ok(u32::from_ne_bytes(self.take(4)?.try_into().map_err(|_| garbled())?))
    }

    pub(crate) fn i32(&mut self) -> Result<i32> {
        Ok(i32::from_ne_bytes(self.take(4)?.try_into().map_err(|_| garbled())?))
    }

    pub(crate) fn bool(&mut self) -> Result<bool> {
        Ok(self.u8()? != 0)
    }

    pub(crate) fn bytes(&mut self) -> Result<&'a [u8]> {
        let n = self.u32()? as usize;
        self.take(n)
    }

    pub(crate) fn string(&mut self) -> Result<String> {
        String::from_utf8(self.bytes()?.to_vec()).map_err(|_| garbled())
    }

    pub(crate) fn opt_string(&mut self) -> Result<Option<String>> {
        self.opt(Self::string)
    }

    /// Reads what [`Writer::opt`] wrote.
    pub(crate) fn opt<T>(&mut self, get: impl FnOnce(&mut Self) -> Result<T>) -> Result<Option<T>> {
        Ok(if self.bool()? { Some(get(self)?) } else { None })
    }

    /// Reads what [`Writer::list`] wrote.
    pub(crate) fn list<T>(&mut self, mut get: impl FnMut(&mut Self) -> Result<T>) -> Result<Vec<T>> {
        let n = self.u32()? as usize;
        // Each item takes a byte at least: a count beyond what is left is garbled, not a big allocation.
        if n > self.buf.len() {
            return Err(garbled());
        }
        (0..n).map(|_| get(self)).collect()
    }

    /// Reads what [`Writer::ip`] wrote.
    pub(crate) fn ip(&mut self) -> Result<IpAddr> {
        let family = self.u8()?;
        let bytes = self.bytes()?;
        match family {
            4 => <[u8; 4]>::try_from(bytes).map(IpAddr::from).map_err(|_| garbled()),
            6 => <[u8; 16]>::try_from(bytes).map(IpAddr::from).map_err(|_| garbled()),
            _ => Err(garbled()),
        }
    }

    pub(crate) fn opt_path(&mut self) -> Result<Option<PathBuf>> {
        Ok(self.opt_string()?.map(PathBuf::from))
    }
}

/// Sends one message with `fds` attached (`sendmsg(2)`, `SCM_RIGHTS`), retrying on `EINTR`.
pub(crate) fn send(sock: BorrowedFd<'_>, data: &[u8], fds: &[BorrowedFd<'_>]) -> Result<()> {
    let raw: Vec<RawFd> = fds.iter().map(AsRawFd::as_raw_fd).collect();
    let cmsg = [ControlMessage::ScmRights(&raw)];
    let cmsgs: &[ControlMessage<'_>] = if raw.is_empty() { &[] } else { &cmsg };
    let iov = [IoSlice::new(data)];
    loop {
        match sendmsg::<()>(sock.as_raw_fd(), &iov, cmsgs, MsgFlags::MSG_NOSIGNAL, None) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(Error::sys(e, "sendmsg", channel())),
            Ok(_) => return Ok(()),
        }
    }
}

/// Receives one message into `buf` (`recvmsg(2)`), with the fds it carries made close-on-exec;
/// `None` at end of file (the peer is gone). Retries on `EINTR`.
pub(crate) fn recv(sock: BorrowedFd<'_>, buf: &mut Vec<u8>) -> Result<Option<Vec<OwnedFd>>> {
    buf.resize(MAX_MESSAGE, 0);
    let mut space = nix::cmsg_space!([RawFd; MAX_FDS]);
    loop {
        let mut iov = [IoSliceMut::new(buf.as_mut_slice())];
        let msg = match recvmsg::<()>(sock.as_raw_fd(), &mut iov, Some(&mut space), MsgFlags::MSG_CMSG_CLOEXEC) {
            Err(Errno::EINTR) => continue,
            Err(e) => return Err(Error::sys(e, "recvmsg", channel())),
            Ok(msg) => msg,
        };
        let mut fds = Vec::new();
        for cmsg in msg.cmsgs().map_err(|e| Error::sys(e, "recvmsg", channel()))? {
            if let ControlMessageOwned::ScmRights(raw) = cmsg {
                // SAFETY: the kernel installed these fds in this process for us alone.
                fds.extend(raw.into_iter().map(|fd| unsafe { OwnedFd::from_raw_fd(fd) }));
            }
        }
        let (len, truncated) = (msg.bytes, msg.flags.intersects(MsgFlags::MSG_TRUNC | MsgFlags::MSG_CTRUNC));
        if len == 0 && fds.is_empty() {
            return Ok(None);
        }
        if truncated {
            return Err(garbled());
        }
        buf.truncate(len);
        return Ok(Some(fds));
    }
}
