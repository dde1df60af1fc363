/**
 * The C floor: bench/floor/floor.c, the syscalls of `do()` and of a named creation + deletion in
 * a plain C loop, built with `gcc -O2` into the bench's cache directory when the source is newer
 * than the binary. gcc is required: without it the bench stops with a message saying so.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

import { peerCache } from './peers';

const source = join(__dirname, 'floor', 'floor.c');
const binary = join(peerCache, 'netns-floor-c');

/** Runs one batch of the C floor and returns its mean ns per operation. */
export type CFloor = (args: string[], n: number) => number;

/** Builds the C floor (once per change of its source) and returns its runner. */
export function cFloor(): CFloor {
  const fresh = existsSync(binary) && statSync(binary).mtimeMs >= statSync(source).mtimeMs;
  if (!fresh) {
    mkdirSync(peerCache, { recursive: true });
    const r = spawnSync('gcc', ['-O2', '-Wall', '-Wextra', '-Werror', '-o', binary, source], { encoding: 'utf8' });
    if (r.error && (r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('bench: the C floor needs gcc, which is not installed (apt-get install gcc); no row is timed without its floor');
    }
    if (r.error || r.status !== 0) throw new Error(`bench: building the C floor failed (gcc ${source}): ${r.error?.message ?? ''}\n${r.stdout}${r.stderr}`);
  }
  return (args, n) => {
    const out = execFileSync(binary, [...args, String(n)], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    return (JSON.parse(out) as { nsPerOp: number }).nsPerOp;
  };
}
