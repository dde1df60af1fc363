//! `getaddrinfo(3)` for a hostname, answering what Node's `dns.lookup` asks of it.

use std::ffi::CString;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use nix::errno::Errno;

/// A failed `getaddrinfo`: the name of its `EAI_*` code, or for `EAI_SYSTEM` of the errno
/// (as libuv reports it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaiError {
    /// `EAI_NONAME`, `EAI_AGAIN`, ..., or an errno name such as `ECONNREFUSED`.
    pub code: String,
}

/// The name of an `EAI_*` return value of `getaddrinfo`.
fn eai_name(rc: i32) -> String {
    let name = match rc {
        libc::EAI_AGAIN => "EAI_AGAIN",
        libc::EAI_BADFLAGS => "EAI_BADFLAGS",
        libc::EAI_FAIL => "EAI_FAIL",
        libc::EAI_FAMILY => "EAI_FAMILY",
        libc::EAI_MEMORY => "EAI_MEMORY",
        libc::EAI_NODATA => "EAI_NODATA",
        libc::EAI_NONAME => "EAI_NONAME",
        libc::EAI_SERVICE => "EAI_SERVICE",
        libc::EAI_SOCKTYPE => "EAI_SOCKTYPE",
        libc::EAI_OVERFLOW => "EAI_OVERFLOW",
        libc::EAI_SYSTEM => return format!("{:?}", Errno::last()),
        -9 if cfg!(target_env = "gnu") => "EAI_ADDRFAMILY",
        _ => "EAI_FAIL",
    };
    name.into()
}

/// Resolves `host` as Node's `dns.lookup` does (`getaddrinfo(3)` with `SOCK_STREAM`):
/// `family` is 0 (any), 4 or 6, `flags` the `AI_*` hints. The addresses come in the order
/// `getaddrinfo` gave them. Runs on the calling thread with its `/etc` and network namespace.
pub fn getaddrinfo(host: &str, family: u8, flags: i32) -> Result<Vec<IpAddr>, GaiError> {
    let Ok(c_host) = CString::new(host) else {
        return Err(GaiError { code: "EAI_NONAME".into() });
    };
    // SAFETY: an all-zero addrinfo is the documented way to start hints.
    let mut hints: libc::addrinfo = unsafe { std::mem::zeroed() };
    hints.ai_family = match family {
        4 => libc::AF_INET,
        6 => libc::AF_INET6,
        _ => libc::AF_UNSPEC,
    };
    hints.ai_socktype = libc::SOCK_STREAM;
    hints.ai_flags = flags;
    let mut list: *mut libc::addrinfo = std::ptr::null_mut();
    // SAFETY: valid C string and hints; the list is freed below.
    let rc = unsafe { libc::getaddrinfo(c_host.as_ptr(), std::ptr::null(), &hints, &mut list) };
    if rc != 0 {
        return Err(GaiError { code: eai_name(rc) });
    }
    let mut out = Vec::new();
    let mut cur = list;
    while !cur.is_null() {
        // SAFETY: getaddrinfo returned a well-formed list; each ai_addr matches its ai_family.
        unsafe {
            let ai = &*cur;
            match ai.ai_family {
                libc::AF_INET => {
                    let sin = &*(ai.ai_addr as *const libc::sockaddr_in);
                    out.push(IpAddr::V4(Ipv4Addr::from(u32::from_be(sin.sin_addr.s_addr))));
                }
                libc::AF_INET6 => {
                    let sin6 = &*(ai.ai_addr as *const libc::sockaddr_in6);
                    out.push(IpAddr::V6(Ipv6Addr::from(sin6.sin6_addr.s6_addr)));
                }
                _ => {}
            }
            cur = ai.ai_next;
        }
    }
    // SAFETY: the list came from getaddrinfo and is freed once.
    unsafe { libc::freeaddrinfo(list) };
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_literal_resolves_to_itself_and_a_bad_name_is_noname() {
        assert_eq!(getaddrinfo("127.0.0.1", 0, 0).unwrap(), vec![IpAddr::V4(Ipv4Addr::LOCALHOST)]);
        assert_eq!(getaddrinfo("::1", 6, 0).unwrap(), vec![IpAddr::V6(Ipv6Addr::LOCALHOST)]);
        let e = getaddrinfo("no-such-host.invalid", 0, 0).unwrap_err();
        assert!(e.code == "EAI_NONAME" || e.code == "EAI_AGAIN", "{e:?}");
        assert_eq!(getaddrinfo("127.0.0.1", 6, 0).unwrap_err().code, "EAI_ADDRFAMILY");
    }
}
