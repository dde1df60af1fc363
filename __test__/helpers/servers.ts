/**
 * Twin servers for the client tests: one inside a fresh namespace (started with `ip netns exec`,
 * not by the package) and one of the same kind on the same address and port in the host
 * namespace, each answering with its own tag. A client that leaves from the wrong namespace gets
 * the wrong tag. Also: a self-signed certificate made with openssl, and a count of socket fds.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type * as http2 from 'node:http2';
import type { ExecutionContext } from 'ava';

import { getNS, type NetNS } from '../../dist';
import { ip, removeNamedNS } from './kernel';

const FIXTURE = join(__dirname, '..', 'fixtures', 'twin-server.cjs');
let counter = 0;

/** A namespace named `ht<pid><n><tag>` (this suite's prefix), loopback up, removed and closed on teardown. */
export function makeNS(t: ExecutionContext, tag = ''): { ns: NetNS; name: string } {
  counter += 1;
  const name = `ht${process.pid.toString(36)}${counter}${tag}`.slice(0, 15);
  ip('netns', 'add', name);
  t.teardown(() => removeNamedNS(name));
  ip('-n', name, 'link', 'set', 'lo', 'up');
  const ns = getNS(`/run/netns/${name}`);
  t.teardown(() => ns.close());
  return { ns, name };
}

/** The kinds of twin-server.cjs. */
export type ServerKind = 'http' | 'https' | 'h2c' | 'h2' | 'tls' | 'ws' | 'pg';

/** A self-signed certificate for localhost and 127.0.0.1 (its own CA). */
export interface Cert {
  dir: string;
  cert: Buffer;
}

/** Makes a key and a self-signed certificate with openssl in a temporary folder; remove it with `dropCert`. */
export function makeCert(): Cert {
  const dir = mkdtempSync(join(tmpdir(), 'ht-cert-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'),
    '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost',
    '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
  return { dir, cert: readFileSync(join(dir, 'cert.pem')) };
}

/** Removes a certificate folder. */
export function dropCert(cert: Cert): void {
  rmSync(cert.dir, { recursive: true, force: true });
}

/** Starts twin-server.cjs (in namespace `name` if given) and resolves with its port once it listens. */
function startServer(t: ExecutionContext, kind: ServerKind, tag: string, port: number, name?: string, certDir?: string): Promise<number> {
  const args = [FIXTURE, kind, tag, String(port), ...(certDir ? [certDir] : [])];
  const child: ChildProcess = name
    ? spawn('ip', ['netns', 'exec', name, process.execPath, ...args], { stdio: ['ignore', 'pipe', 'inherit'] })
    : spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
  t.teardown(() => {
    child.kill();
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /ready (\d+)/.exec(out);
      if (m) resolve(Number(m[1]));
    });
    child.once('exit', (code) => reject(new Error(`${kind} server ${tag} exited with ${code}`)));
    child.once('error', reject);
  });
}

/**
 * A namespace with a `kind` server tagged 'inside' on 127.0.0.1:port, and a server tagged
 * 'outside' on the same address and port in the host namespace.
 */
export async function twinServers(t: ExecutionContext, kind: ServerKind, cert?: Cert): Promise<{ ns: NetNS; name: string; port: number }> {
  const port = await startServer(t, kind, 'outside', 0, undefined, cert?.dir);
  const { ns, name } = makeNS(t, kind.slice(0, 3));
  await startServer(t, kind, 'inside', port, name, cert?.dir);
  return { ns, name, port };
}

/** The number of this process's socket fds (Node's own background fds are files, pipes or eventfds). */
export function socketFdCount(): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`).startsWith('socket:')) n += 1;
    } catch {
      // Closed while we looked.
    }
  }
  return n;
}

/** Waits (up to 3 s) until the socket fd count is back to `before`, and returns the last count. */
export async function settledSocketFds(before: number): Promise<number> {
  const end = Date.now() + 3000;
  let now = socketFdCount();
  while (now > before && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 50));
    now = socketFdCount();
  }
  return now;
}

/** One GET on an HTTP/2 session; resolves with the body. */
export function h2Get(session: http2.ClientHttp2Session, path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const req = session.request({ ':path': path });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => resolve(body));
    req.on('error', reject);
    req.end();
  });
}

