/**
 * `npm run example` without root: run as uid 65534 with no capabilities, the example builds the
 * same two-namespace network with rootless namespaces, and leaves nothing behind.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import './helpers/kernel';
import { checkTranscript } from './helpers/example';
import { runAsUser } from './helpers/unprivileged';

const example = join(__dirname, '..', 'examples', 'two-namespaces.js');

test('as uid 65534 with no capabilities the example builds its network rootless and exits 0', async (t) => {
  // The body is the example itself, run where the harness put the package under test.
  const source = readFileSync(example, 'utf8');
  const r = await runAsUser(source);
  t.is(r.status, 0, r.stderr);
  checkTranscript(t, r.stdout);
  t.regex(r.stdout, /two rootless namespaces/);
  t.is([...r.stdout.matchAll(/\(rootless: no name, no privilege\)/g)].length, 2);
  t.regex(r.stdout, /closed red-\d+ and blue-\d+/);
});

test('as root, --rootless makes the same network rootless, and no named namespace appears', (t) => {
  const r = spawnSync(process.execPath, [example, '--rootless'], { cwd: join(__dirname, '..'), encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  checkTranscript(t, r.stdout);
  t.regex(r.stdout, /two rootless namespaces/);
  t.false(readFileSync('/proc/self/mountinfo', 'utf8').includes(`/netns/red-${r.pid} `));
});
