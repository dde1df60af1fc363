import test from 'ava';
import { spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { checkTranscript } from './helpers/example';
import { ip } from './helpers/kernel';

const example = join(__dirname, '..', 'examples', 'two-namespaces.js');

/** What the example may leave behind: its namespaces, their mounts, its veth names on the host. */
function leftovers(pid: number): string[] {
  const names = [`red-${pid}`, `blue-${pid}`];
  const found: string[] = [];
  const listed = ip('netns', 'list');
  for (const n of names) if (listed.split('\n').some((l) => l.split(' ')[0] === n)) found.push(`namespace ${n}`);
  const mounts = readFileSync('/proc/self/mountinfo', 'utf8');
  for (const n of names) if (mounts.includes(`/netns/${n} `)) found.push(`mount of ${n}`);
  const hostLinks = JSON.parse(ip('-j', 'link')) as { ifname: string }[];
  for (const l of hostLinks) if (l.ifname === 'veth-red' || l.ifname === 'veth-blue') found.push(`host link ${l.ifname}`);
  return found;
}

test.serial('the example builds two namespaces, moves marked traffic through a veth pair, and removes everything', (t) => {
  const r = spawnSync(process.execPath, [example], { cwd: join(__dirname, '..'), encoding: 'utf8', timeout: 60_000 });
  t.is(r.status, 0, r.stderr);
  const pid = r.pid as number;
  checkTranscript(t, r.stdout);
  t.deepEqual(leftovers(pid), []);
});

test.serial('Ctrl-C while the example holds its network removes everything', async (t) => {
  const child = spawn(process.execPath, [example, '--hold'], { cwd: join(__dirname, '..'), stdio: ['ignore', 'pipe', 'pipe'] });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (d: string) => {
      out += d;
      if (out.includes('holding:')) resolve();
    });
    child.once('exit', () => reject(new Error(`the example ended before holding:\n${out}`)));
  });
  const pid = child.pid as number;
  t.true(leftovers(pid).includes(`namespace red-${pid}`)); // really there while it holds
  child.kill('SIGINT');
  const [code] = (await once(child, 'exit')) as [number | null];
  t.is(code, 130);
  t.deepEqual(leftovers(pid), []);
});
