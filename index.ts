/**
 * netns: Linux network namespaces for Node.js.
 *
 * A namespace belongs to an OS thread, and a socket to the namespace it was created in. This
 * package switches a thread only inside one synchronous call and always switches it back.
 */
import { isSupported, native } from './lib/native';

// The libuv thread pool copies the namespace of the thread that starts it. Start it now, from
// the namespace the package is loaded in, before any thread is switched.
// Off Linux, or without a binary that fits, there is no pool to warm: every call throws instead.
if (isSupported()) native.warmThreadPool().catch(() => {});

export { SO_MARK, CLONE_NEWNET, NSFS_MAGIC, PROCFS_MAGIC } from './lib/constants';
export {
  NetNSError,
  NetNSSystemError,
  NSPathNotExistError,
  NSPathNotNSError,
  NetNSWrongTypeError,
  NetNSClosedError,
  NetNSSocketNotReadyError,
  NetNSAsyncCallbackError,
  NetNSReconnectError,
  NetNSUnsupportedPlatformError,
  InvalidArgTypeError,
  IllegalConstructorError,
  InvalidArgValueError,
  OutOfRangeError,
  NetNSInvalidNameError,
  NetNSUserNsUnavailableError,
  NetNSRootlessUnsupportedError,
  NetNSRootlessMixedError,
  NetNSNsenterMissingError,
  NetNSViewUnavailableError,
} from './lib/errors';
export { NetNS, getNS, getCurrentNS, withNetNSPath, type NetNSPromises } from './lib/netns';
export { NetNSResolver } from './lib/resolver';
export { type NetNSLookupOptions, type LookupAddress, type LookupCallback, type LookupOrder } from './lib/lookup';
export { gettid, setns, isNSorErr } from './lib/raw';
export { setMark, getMark, bindToDevice, type SocketTarget } from './lib/mark';
export {
  createNetNS,
  deleteNetNS,
  listNetNS,
  getNSFromName,
  getNSFromPid,
  getNSFromThread,
  type CreateNetNSOptions,
  type ListNetNSOptions,
  type RunDirOptions,
} from './lib/lifecycle';
export { type SocketSteering } from './lib/sockets/common';
export { connect, type ConnectOptions } from './lib/sockets/connect';
export { listen, type ListenOptions } from './lib/sockets/listen';
export { createSocket, type CreateSocketOptions } from './lib/sockets/udp';
export { createSocketFd, type SocketFdSpec } from './lib/sockets/fd';
export { socket, NetNSUnconnectedSocket, type UnconnectedSocketOptions } from './lib/sockets/unconnected';
export { createConnection, type ConnectListener } from './lib/create-connection';
export { tlsConnect, type TlsConnectOptions } from './lib/tls';
export { http2Connect, type Http2ConnectOptions } from './lib/http2';
export { dispatcher, type DispatcherOptions } from './lib/dispatcher';
export { agent, httpsAgent, NetNSAgent, NetNSHttpsAgent, type NetNSAgentOptions, type NetNSHttpsAgentOptions, type CreateCallback } from './lib/agent';
export { type LinkInfo, type LinkChanges } from './lib/net/links';
export { type AddressInfo } from './lib/net/addresses';
export { type Route, type RouteInfo, type RouteFilter, type RouteType, type RouteScope, type RouteTable } from './lib/net/routes';
export { type Rule, type RuleInfo } from './lib/net/rules';
export { type MoveLinkOptions, type NetworkMethods } from './lib/net/methods';
export { isSupported } from './lib/native';
export { setSocketPoolSize, socketPoolSize, DEFAULT_SOCKET_POOL_SIZE, MAX_SOCKET_POOL_SIZE } from './lib/socketpool';
