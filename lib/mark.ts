/** Socket marks (`SO_MARK`) and device binding (`SO_BINDTODEVICE`) on Node sockets or raw fds. */
import * as dgram from 'node:dgram';
import * as net from 'node:net';

import { callNative, InvalidArgTypeError, NetNSSocketNotReadyError } from './errors';
import { native } from './native';
import { validateDeviceName, validateFd, validateUint32 } from './validate';

/** Something that has a socket: a `net.Socket`, `net.Server` (so `http.Server` too), `dgram.Socket`, or a raw fd. */
export type SocketTarget = net.Socket | net.Server | dgram.Socket | number;

interface HandleWithFd {
  fd?: number;
}

/** dgram keeps its handle behind a symbol; its `_handle` getter is deprecated (DEP0112). @internal */
export function dgramHandle(socket: dgram.Socket): HandleWithFd | undefined {
  const key = Object.getOwnPropertySymbols(socket).find((s) => s.description === 'state symbol');
  const state = key === undefined ? undefined : (socket as unknown as Record<symbol, { handle?: HandleWithFd }>)[key];
  return state?.handle;
}

/** The fd behind a socket target, or a `NetNSSocketNotReadyError` if Node has not created it yet. */
export function socketFd(target: SocketTarget, name = 'target'): number {
  if (typeof target === 'number') {
    validateFd(target, name);
    return target;
  }
  let handle: HandleWithFd | undefined;
  let what: string;
  if (target instanceof net.Socket) {
    handle = (target as unknown as { _handle?: HandleWithFd })._handle;
    what = 'the net.Socket';
  } else if (target instanceof net.Server) {
    handle = (target as unknown as { _handle?: HandleWithFd })._handle;
    what = 'the net.Server';
  } else if (target instanceof dgram.Socket) {
    handle = dgramHandle(target);
    what = 'the dgram.Socket';
  } else {
    throw new InvalidArgTypeError(name, 'an instance of net.Socket, net.Server or dgram.Socket, or a file descriptor', target);
  }
  const fd = handle?.fd;
  if (typeof fd !== 'number' || fd < 0) throw new NetNSSocketNotReadyError(what);
  return fd;
}

/** Sets the socket's `SO_MARK` (an unsigned 32-bit integer); needs `CAP_NET_ADMIN` (or `CAP_NET_RAW`). */
export function setMark(target: SocketTarget, mark: number): void {
  validateUint32(mark, 'mark');
  const fd = socketFd(target);
  callNative(() => native.setMark(fd, mark));
}

/** Reads the socket's `SO_MARK`. */
export function getMark(target: SocketTarget): number {
  const fd = socketFd(target);
  return callNative(() => native.getMark(fd));
}

/**
 * Binds the socket to a network device (`SO_BINDTODEVICE`): no capability the first time,
 * `CAP_NET_RAW` to change it. The device must exist in the socket's namespace (`ENODEV` otherwise).
 */
export function bindToDevice(target: SocketTarget, ifname: string): void {
  validateDeviceName(ifname, 'ifname');
  const fd = socketFd(target);
  callNative(() => native.bindToDevice(fd, ifname));
}
