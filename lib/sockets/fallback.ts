/**
 * Connecting to a hostname with every address it has, one after the other (as Node's
 * `autoSelectFamily` does, but in sequence): each attempt is a new socket made inside the
 * namespace by `connectIn`, never one made by Node in the calling thread's namespace. The agents
 * and the undici dispatcher connect this way, so that a name whose first answer is `::1` still
 * reaches a server that listens on IPv4 only.
 */
import type * as dns from 'node:dns';
import * as net from 'node:net';

import { defaultLookup } from '../lookup';
import type { LookupFunction, Where } from './common';
import { connectIn, planConnect, type ConnectOptions } from './connect';

/** Called once: with the connected socket, or with the error of the last attempt. */
export type ConnectedCallback = (err: Error | null, socket?: net.Socket) => void;

/** One address of a lookup answer. */
interface Address {
  address: string;
  family: number;
}

/** Waits for `socket` to connect; calls back once, and removes its own listeners. */
function whenConnected(socket: net.Socket, callback: ConnectedCallback): void {
  const onConnect = (): void => {
    socket.removeListener('error', onError);
    callback(null, socket);
  };
  const onError = (err: Error): void => {
    socket.removeListener('connect', onConnect);
    callback(err);
  };
  socket.once('connect', onConnect);
  socket.once('error', onError);
}

/** A lookup of every address; a lookup that answers with one address is accepted too. */
function lookupAll(lookup: LookupFunction, host: string, o: ConnectOptions, callback: (err: Error | null, all: Address[]) => void): void {
  const dnsOptions: dns.LookupAllOptions = { all: true, family: o.family ?? 0 };
  if (o.hints !== undefined) dnsOptions.hints = o.hints;
  (lookup as (h: string, opts: dns.LookupAllOptions, cb: (...args: unknown[]) => void) => void)(host, dnsOptions, (err, answer, family) => {
    if (err) return callback(err as Error, []);
    if (Array.isArray(answer)) return callback(null, answer as Address[]);
    return callback(null, [{ address: answer as string, family: family as number }]);
  });
}

/**
 * Connects from inside `where` and calls back once with a connected socket. A hostname is
 * looked up for all its addresses (in the calling thread's namespace), which are tried in the
 * order of the answer until one connects; the error of the last one is the result. Unknown
 * options are ignored. Bad options throw before anything is made.
 * @internal
 */
export function connectAnyIn(where: Where, options: ConnectOptions, callback: ConnectedCallback): void {
  const plan = planConnect(options, false);
  if (plan.path !== undefined || net.isIP(plan.host) !== 0) {
    whenConnected(connectIn(where, options, undefined, false), callback);
    return;
  }
  void where?.fd; // The gate: a closed handle throws before the lookup.
  const o = plan.options;
  lookupAll(o.lookup ?? defaultLookup(where), plan.host, o, (err, all) => {
    if (err) return callback(err);
    const usable = all.filter((a) => net.isIP(a.address) !== 0);
    if (usable.length === 0) return callback(Object.assign(new Error(`no address for ${plan.host}`), { code: 'ENOTFOUND', hostname: plan.host }));
    const attempt = (i: number): void => {
      if (o.signal?.aborted) return callback(Object.assign(new Error('The operation was aborted'), { name: 'AbortError', code: 'ABORT_ERR', cause: o.signal.reason }));
      let socket: net.Socket;
      try {
        socket = connectIn(where, { ...o, host: usable[i].address, family: net.isIP(usable[i].address), lookup: undefined }, undefined, false);
      } catch (e) {
        return callback(e as Error);
      }
      whenConnected(socket, (error, connected) => {
        if (!error) return callback(null, connected);
        if (i + 1 < usable.length && !o.signal?.aborted) return attempt(i + 1);
        return callback(error);
      });
    };
    attempt(0);
  });
}
