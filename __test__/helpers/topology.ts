/** Test helpers for small routed networks built with the package: wires between namespaces and a TCP echo. */
import * as net from 'node:net';

import type { ExecutionContext } from 'ava';

import type { ConnectOptions, NetNS } from '../../dist';

/** A veth pair from `a` (device `aDev`, address `aCidr`) to `b` (`bDev`, `bCidr`), both ends up. */
export function wire(a: NetNS, aDev: string, aCidr: string, b: NetNS, bDev: string, bCidr: string): void {
  a.addVeth(aDev, bDev, b);
  a.addAddress(aDev, aCidr);
  b.addAddress(bDev, bCidr);
  a.setLinkUp(aDev);
  b.setLinkUp(bDev);
}

/**
 * A TCP server in `ns` on `host` that answers each connection with `echo <its remote address>`;
 * closed on teardown with its connections (whose last packets may have no route left by then).
 */
export async function echoServer(t: ExecutionContext, ns: NetNS, host: string): Promise<number> {
  const open = new Set<net.Socket>();
  const server = ns.listen(
    net.createServer((s) => {
      open.add(s.once('close', () => open.delete(s)));
      s.end(`echo ${s.remoteAddress}`);
    }),
    { host, port: 0 },
  );
  t.teardown(() => {
    server.close();
    for (const s of open) s.destroy();
  });
  await new Promise<void>((resolve, reject) => server.once('listening', resolve).once('error', reject));
  return (server.address() as net.AddressInfo).port;
}

/** Connects from `ns` with `options` and resolves with what the server sent, or rejects with the socket's error. */
export function fetchLine(ns: NetNS, options: ConnectOptions): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = ns.connect(options);
    const chunks: Buffer[] = [];
    socket.setTimeout(10_000, () => socket.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.once('end', () => resolve(Buffer.concat(chunks).toString()));
    socket.once('error', reject);
  });
}
