//! Creating a socket inside a namespace: one call that switches, makes and sets up the socket,
//! and switches back, returning the fd for Node to wrap.

use std::net::{IpAddr, SocketAddr};
use std::os::fd::IntoRawFd;

use napi::{Env, Error, Result, Status};
use napi_derive::napi;
use netns_core::{Address, Family, Kind, SocketSpec as CoreSpec, UnixPath};

use crate::args::borrow_fd;
use crate::error::to_js;

/// What socket to create and how to set it up; applied in this order: socket, `mark`, `device`,
/// `reuseAddr`, `reusePort`, `v6Only`, bind, listen, unix connect.
#[napi(object)]
pub struct SocketSpec {
    /// `'ipv4'`, `'ipv6'` or `'unix'`.
    pub family: String,
    /// `'stream'` or `'dgram'`.
    pub kind: String,
    /// `SO_MARK`, set before the socket binds or connects.
    pub mark: Option<u32>,
    /// `SO_BINDTODEVICE`: a device of the target namespace.
    pub device: Option<String>,
    /// `SO_REUSEADDR`.
    pub reuse_addr: Option<bool>,
    /// `SO_REUSEPORT`.
    pub reuse_port: Option<bool>,
    /// `IPV6_V6ONLY` (ipv6 only); unset leaves the namespace's default.
    pub v6_only: Option<bool>,
    /// An IP address to bind to (a literal, no host name); with `port`.
    pub address: Option<String>,
    /// The port to bind to (0: the kernel picks one); with `address`.
    pub port: Option<u32>,
    /// A unix path to bind to; a leading NUL byte makes it an abstract name.
    pub path: Option<String>,
    /// Listen with this backlog after binding.
    pub backlog: Option<i32>,
    /// A unix path to connect to (at once: unix connects do not wait); leading NUL: abstract.
    pub connect_path: Option<String>,
}

fn invalid(what: String) -> Error {
    Error::new(Status::InvalidArg, what)
}

fn to_core(spec: SocketSpec) -> Result<CoreSpec> {
    let family = match spec.family.as_str() {
        "ipv4" => Family::Inet,
        "ipv6" => Family::Inet6,
        "unix" => Family::Unix,
        other => return Err(invalid(format!("family must be 'ipv4', 'ipv6' or 'unix', got '{other}'"))),
    };
    let kind = match spec.kind.as_str() {
        "stream" => Kind::Stream,
        "dgram" => Kind::Datagram,
        other => return Err(invalid(format!("kind must be 'stream' or 'dgram', got '{other}'"))),
    };
    let mut core = CoreSpec::new(family, kind);
    core.mark = spec.mark;
    core.device = spec.device;
    core.reuse_addr = spec.reuse_addr.unwrap_or(false);
    core.reuse_port = spec.reuse_port.unwrap_or(false);
    core.v6_only = spec.v6_only;
    core.bind = match (spec.address, spec.port, spec.path) {
        (None, None, None) => None,
        (None, None, Some(path)) => Some(Address::Unix(UnixPath::from_node(&path))),
        (address, port, None) => {
            let ip: IpAddr = match address {
                Some(a) => a.parse().map_err(|_| invalid(format!("address must be an IP address, got '{a}'")))?,
                None if family == Family::Inet6 => IpAddr::from([0u16; 8]),
                None => IpAddr::from([0u8; 4]),
            };
            let port = u16::try_from(port.unwrap_or(0)).map_err(|_| invalid("port must be <= 65535".into()))?;
            Some(Address::Ip(SocketAddr::new(ip, port)))
        }
        _ => return Err(invalid("a socket binds to an address and port or to a path, not both".into())),
    };
    core.listen = spec.backlog;
    core.connect_unix = spec.connect_path.as_deref().map(UnixPath::from_node);
    Ok(core)
}

/// Creates a socket inside the namespace behind `nsFd` (the calling thread's own namespace when
/// `nsFd` is null), sets it up as `spec` says, and returns its fd (close-on-exec, non-blocking),
/// which the caller owns. The calling thread is back in its namespace when this returns or throws.
#[napi]
pub fn socket_in_ns(env: &Env, ns_fd: Option<i32>, spec: SocketSpec) -> Result<i32> {
    let ns = ns_fd.map(borrow_fd).transpose()?;
    let spec = to_core(spec)?;
    let fd = netns_core::socket_in(ns, &spec).map_err(|e| to_js(env, e))?;
    Ok(fd.into_raw_fd())
}

/// Spare sockets of one namespace handle: see `netns_core::SocketPool`. The facade makes one per
/// open handle, on the first socket, and closes it when the handle closes or is collected.
#[napi]
pub struct SocketPool {
    inner: Option<netns_core::SocketPool>,
}

#[napi]
impl SocketPool {
    /// An empty pool for the namespace behind `nsFd`.
    #[napi(constructor)]
    pub fn new(env: Env, ns_fd: i32) -> Result<SocketPool> {
        let pool = netns_core::SocketPool::new(borrow_fd(ns_fd)?).map_err(|e| to_js(&env, e))?;
        Ok(SocketPool { inner: Some(pool) })
    }

    /// A socket made in the namespace behind `nsFd` (the pool's) and set up as `spec` says: a
    /// spare when there is one, else one switch makes it and `size` spares. The caller owns the
    /// returned fd (close-on-exec, non-blocking). A closed pool makes the socket without spares.
    #[napi]
    pub fn take(&mut self, env: Env, ns_fd: i32, spec: SocketSpec, size: u32) -> Result<i32> {
        let ns = borrow_fd(ns_fd)?;
        let spec = to_core(spec)?;
        let fd = match self.inner.as_mut() {
            Some(pool) => pool.take(ns, &spec, size as usize),
            None => netns_core::socket_in(Some(ns), &spec),
        };
        Ok(fd.map_err(|e| to_js(&env, e))?.into_raw_fd())
    }

    /// How many spare sockets the pool holds now.
    #[napi]
    pub fn spares(&self) -> u32 {
        self.inner.as_ref().map_or(0, |p| p.spares() as u32)
    }

    /// Closes every spare socket and the pool; calling it again does nothing.
    #[napi]
    pub fn close(&mut self) {
        self.inner = None;
    }
}
