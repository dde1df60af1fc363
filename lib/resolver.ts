/**
 * `ns.resolver()`: a `dns.promises.Resolver` whose queries leave from inside the namespace. It
 * runs a real `dns.promises.Resolver` in a worker thread started inside the namespace by
 * `ns.worker()` (c-ares opens its sockets on the thread that sends the query), so results and
 * errors have exactly Node's shapes and codes. The worker starts at the first query, does not
 * keep the process alive while idle, and ends with `close()` or when the handle closes.
 */
import * as dns from 'node:dns';
import { existsSync, readFileSync } from 'node:fs';
import type { Worker } from 'node:worker_threads';

import { NetNSClosedError } from './errors';
import type { NetNS } from './netns';
import { validateString } from './validate';

/** The worker: a dns.promises.Resolver that answers the messages of its parent. */
const WORKER = `
const { parentPort, workerData } = require('node:worker_threads');
const resolver = new (require('node:dns').promises.Resolver)();
if (workerData.servers.length > 0) resolver.setServers(workerData.servers);
parentPort.on('message', ({ id, method, args }) => {
  // Fire and forget: nothing waits for them, so nothing is left to reject.
  if (method === 'cancel') return resolver.cancel();
  if (method === 'setServers') return resolver.setServers(args[0]);
  Promise.resolve()
    .then(() => resolver[method](...args))
    .then(
      (value) => parentPort.postMessage({ id, value }),
      (e) => parentPort.postMessage({ id, error: { message: e.message, code: e.code, errno: e.errno, syscall: e.syscall, hostname: e.hostname } }),
    );
});`;

/** The `nameserver` lines of the namespace's `resolv.conf` (`etcDir`'s if it has one, else /etc's). */
export function namespaceServers(etcDir: string | undefined): string[] {
  const file = etcDir !== undefined && existsSync(`${etcDir}/resolv.conf`) ? `${etcDir}/resolv.conf` : '/etc/resolv.conf';
  let text = '';
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return [];
  }
  return text
    .split('\n')
    .map((line) => /^\s*nameserver\s+(\S+)/.exec(line)?.[1])
    .filter((s): s is string => s !== undefined);
}

interface Pending {
  resolve: (value: unknown) => void;
  reject: (e: unknown) => void;
}

/** A `dns.promises.Resolver` for one namespace (see `NetNS.resolver()`). */
export class NetNSResolver {
  readonly #ns: NetNS;
  readonly #label: string;
  #servers: string[];
  #worker: Worker | undefined;
  #closed = false;
  #nextId = 0;
  readonly #pending = new Map<number, Pending>();

  /** @internal */
  constructor(ns: NetNS) {
    this.#ns = ns;
    this.#label = `resolver of ${ns.path}`;
    this.#servers = namespaceServers(ns.etcDir);
  }

  #start(): Worker {
    if (this.#worker) return this.#worker;
    const worker = this.#ns.worker(WORKER, { eval: true, workerData: { servers: this.#servers } });
    worker.unref();
    worker.on('message', ({ id, value, error }: { id: number; value?: unknown; error?: Record<string, unknown> }) => {
      const p = this.#pending.get(id);
      if (!p) return;
      this.#pending.delete(id);
      if (this.#pending.size === 0) worker.unref();
      if (error) {
        const { message, ...props } = error;
        p.reject(Object.assign(new Error(message as string), props));
      } else p.resolve(value);
    });
    const fail = (e: unknown) => {
      if (this.#worker === worker) this.#worker = undefined;
      for (const p of this.#pending.values()) p.reject(e);
      this.#pending.clear();
    };
    worker.on('error', fail);
    worker.on('exit', () => fail(new NetNSClosedError(this.#label)));
    this.#worker = worker;
    return worker;
  }

  #call<T>(method: string, args: unknown[]): Promise<T> {
    if (this.#closed) throw new NetNSClosedError(this.#label);
    void this.#ns.fd; // The gate: a closed handle throws ERR_NETNS_CLOSED.
    const worker = this.#start();
    const id = this.#nextId++;
    worker.ref();
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      worker.postMessage({ id, method, args });
    });
  }

  #query<T>(method: string, hostname: unknown, rest: unknown[] = []): Promise<T> {
    validateString(hostname, 'hostname');
    return this.#call<T>(method, [hostname, ...rest]);
  }

  /** `resolver.resolve4()`: IPv4 addresses (`{ ttl: true }` adds their TTLs). */
  resolve4(hostname: string, options?: dns.ResolveWithTtlOptions): Promise<string[] | dns.RecordWithTtl[]> {
    return this.#query('resolve4', hostname, options === undefined ? [] : [options]);
  }

  /** `resolver.resolve6()`: IPv6 addresses. */
  resolve6(hostname: string, options?: dns.ResolveWithTtlOptions): Promise<string[] | dns.RecordWithTtl[]> {
    return this.#query('resolve6', hostname, options === undefined ? [] : [options]);
  }

  /** `resolver.resolveSrv()`: SRV records. */
  resolveSrv(hostname: string): Promise<dns.SrvRecord[]> {
    return this.#query('resolveSrv', hostname);
  }

  /** `resolver.resolveTxt()`: TXT records, each an array of chunks. */
  resolveTxt(hostname: string): Promise<string[][]> {
    return this.#query('resolveTxt', hostname);
  }

  /** `resolver.resolve(hostname, rrtype)`: any record type Node's resolver knows. */
  resolve(hostname: string, rrtype = 'A'): Promise<unknown> {
    validateString(rrtype, 'rrtype');
    return this.#query('resolve', hostname, [rrtype]);
  }

  /** `resolver.reverse()`: the names of an IP address (PTR). */
  reverse(ip: string): Promise<string[]> {
    return this.#query('reverse', ip);
  }

  /** The servers queried: at first the `nameserver`s of the namespace's `resolv.conf`. */
  getServers(): string[] {
    return [...this.#servers];
  }

  /** `resolver.setServers()`: checked here as Node checks it, then used for the next queries. */
  setServers(servers: string[]): void {
    new dns.Resolver().setServers(servers);
    this.#servers = [...servers];
    void this.#ns.fd;
    // A message no promise waits on: a reply that never comes (the worker ended) rejects nothing.
    this.#worker?.postMessage({ id: -1, method: 'setServers', args: [this.#servers] });
  }

  /** Cancels the queries in flight: they reject with `ECANCELLED`. */
  cancel(): void {
    this.#worker?.postMessage({ id: -1, method: 'cancel', args: [] });
  }

  /** Ends the worker; queries in flight reject. Called when the handle closes. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#worker?.terminate().catch(() => {});
    this.#worker = undefined;
  }
}
