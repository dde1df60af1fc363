/**
 * Network devices inside a namespace, over rtnetlink and without the `ip` binary: veth pairs
 * between namespaces and bridges, up and down and the other properties of `ip link set`, moving a
 * device to another namespace, deletion and listing. Each call is one native call that opens a
 * netlink socket inside the namespace, sends its request and waits for the kernel's answer;
 * kernel refusals are `NetNSSystemError`s (`EEXIST`, `ENODEV`, `EPERM`...) whose `syscall` is
 * the request (`RTM_NEWLINK`, `RTM_DELLINK`, `RTM_GETLINK`) and whose `target` is the device name.
 */
import { callNative, InvalidArgValueError } from '../errors';
import { native } from '../native';
import { validateBoolean, validateDeviceName, validateKnownOptions, validateObject, validateUint32 } from '../validate';

/** A network device of a namespace, as `NetNS.links()` lists it. */
export interface LinkInfo {
  /** The device name, e.g. `lo` or `veth0`. */
  name: string;
  /** The interface index, unique within the namespace. */
  index: number;
  /** Whether the device is administratively up (`ip link set NAME up`). */
  up: boolean;
  /** The MTU in bytes. */
  mtu: number;
  /** The hardware address, `'aa:bb:cc:dd:ee:ff'` (all zeros for `lo`), or `null` if it has none. */
  address: string | null;
  /** The link kind: `'veth'`, `'bridge'`, ...; `null` for `lo`. */
  kind: string | null;
  /** The name of the bridge the device is a port of, or `null`. */
  master: string | null;
  /** The transmit queue length in packets. */
  txQueueLen: number;
}

/** What `NetNS.setLink()` changes; properties left out stay as they are. */
export interface LinkChanges {
  /** Up (`true`) or down. */
  up?: boolean;
  /** The MTU in bytes (the device's range applies: `EINVAL` outside it). */
  mtu?: number;
  /** A new name. */
  name?: string;
  /** The bridge to make the device a port of, or `null` to take it out of its bridge. */
  master?: string | null;
  /** The hardware address, `'aa:bb:cc:dd:ee:ff'`. */
  address?: string;
  /** The transmit queue length in packets. */
  txQueueLen?: number;
}

const LINK_CHANGES = new Set(['up', 'mtu', 'name', 'master', 'address', 'txQueueLen']);

/** Creates a veth pair: `name` in the namespace `nsFd`, `peerName` in `peerFd` (same namespace when undefined). */
export function addVeth(nsFd: number, name: unknown, peerName: unknown, peerFd: number | undefined): void {
  validateDeviceName(name, 'name');
  validateDeviceName(peerName, 'peerName');
  callNative(() => native.addVeth(nsFd, name, peerName, peerFd ?? null));
}

/** Creates the bridge `name` in `nsFd`. */
export function addBridge(nsFd: number, name: unknown): void {
  validateDeviceName(name, 'name');
  callNative(() => native.addBridge(nsFd, name));
}

/** Sets the device `name` in `nsFd` up or down. */
export function setLinkUp(nsFd: number, name: unknown, up: boolean): void {
  validateDeviceName(name, 'name');
  callNative(() => native.setLinkUp(nsFd, name, up));
}

/** Checks `changes` for `setLink` and puts it in the binding's form (`master: ''` frees the device). */
function linkChanges(changes: unknown): Parameters<typeof native.setLink>[2] {
  validateObject(changes, 'changes');
  validateKnownOptions(changes, LINK_CHANGES, 'changes', 'setLink()');
  const { up, mtu, name, master, address, txQueueLen } = changes;
  if (up !== undefined) validateBoolean(up, 'changes.up');
  if (mtu !== undefined) validateUint32(mtu, 'changes.mtu');
  if (name !== undefined) validateDeviceName(name, 'changes.name');
  if (master !== undefined && master !== null) validateDeviceName(master, 'changes.master');
  if (address !== undefined && (typeof address !== 'string' || !/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/i.test(address))) {
    throw new InvalidArgValueError('changes.address', address, "must be a hardware address such as '02:00:00:00:00:01'");
  }
  if (txQueueLen !== undefined) validateUint32(txQueueLen, 'changes.txQueueLen');
  return {
    up: up as boolean | undefined,
    mtu: mtu as number | undefined,
    name: name as string | undefined,
    master: master === null ? '' : (master as string | undefined),
    address: address as string | undefined,
    txQueueLen: txQueueLen as number | undefined,
  };
}

/** Changes the device `name` in `nsFd` as `changes` says; on a refusal, what was asked is set back. */
export function setLink(nsFd: number, name: unknown, changes: unknown): void {
  validateDeviceName(name, 'name');
  const arg = linkChanges(changes);
  callNative(() => native.setLink(nsFd, name, arg));
}

/** Moves the device `name` from `nsFd` into `targetFd`, renamed to `newName` when given. */
export function moveLink(nsFd: number, name: unknown, targetFd: number, newName: unknown): void {
  validateDeviceName(name, 'name');
  if (newName !== undefined) validateDeviceName(newName, 'options.name');
  callNative(() => native.moveLink(nsFd, name, targetFd, newName ?? null));
}

/** Deletes the device `name` in `nsFd`. */
export function deleteLink(nsFd: number, name: unknown): void {
  validateDeviceName(name, 'name');
  callNative(() => native.deleteLink(nsFd, name));
}

/** The devices of `nsFd`, by index. */
export function listLinks(nsFd: number): LinkInfo[] {
  return callNative(() => native.listLinks(nsFd)).map((l) => ({
    name: l.name,
    index: l.index,
    up: l.up,
    mtu: l.mtu,
    address: l.address ?? null,
    kind: l.kind ?? null,
    master: l.master ?? null,
    txQueueLen: l.txQueueLen,
  }));
}
