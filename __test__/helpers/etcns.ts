/**
 * Test helpers for name resolution: named namespaces (prefix `dn`) with their own
 * `/etc/netns/<name>` files, and a real DNS server running inside one. Everything is removed
 * when the test ends, passed or failed.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ExecutionContext } from 'ava';

import { ip, removeNamedNS } from './kernel';

let counter = 0;

/** A namespace name of this test process: `dn<pid><n>`, unique among concurrent runs. */
export function dnName(): string {
  counter += 1;
  return `dn${process.pid.toString(36)}x${counter}`;
}

/**
 * Makes a named namespace (loopback up) whose `/etc/netns/<name>/` holds `files`
 * (e.g. `{ hosts: '10.1.2.3 only-here\n' }`); both go away on teardown.
 */
export function makeEtcNS(t: ExecutionContext, files: Record<string, string>): string {
  const name = dnName();
  const dir = `/etc/netns/${name}`;
  t.teardown(() => {
    rmSync(dir, { recursive: true, force: true });
    removeNamedNS(name);
  });
  ip('netns', 'add', name);
  ip('-n', name, 'link', 'set', 'lo', 'up');
  mkdirSync(dir, { recursive: true });
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, file), text);
  return name;
}

/** The records of one name served by the test DNS server. */
export interface ZoneRecords {
  A?: string[];
  TXT?: string[];
  SRV?: [number, number, number, string][];
  PTR?: string[];
}

/**
 * Starts the test DNS server (`fixtures/dns-zone.cjs`) on 127.0.0.1:53 inside the named
 * namespace `name`, with `ip netns exec`; it is killed on teardown.
 */
export async function startZone(t: ExecutionContext, name: string, zone: Record<string, ZoneRecords>): Promise<void> {
  const child = spawn('ip', ['netns', 'exec', name, process.execPath, join(__dirname, '../fixtures/dns-zone.cjs'), '53', JSON.stringify(zone)], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  t.teardown(() => {
    child.kill('SIGKILL');
  });
  await new Promise<void>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`the DNS server exited (${code})`)));
    child.stdout.once('data', () => resolve());
  });
}
