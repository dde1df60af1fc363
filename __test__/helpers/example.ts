/** What every run of `npm run example` prints, with named or rootless namespaces. */
import type { ExecutionContext } from 'ava';

/**
 * Checks the example's transcript: two distinct namespaces by inode, the mark, three pongs, the
 * byte counts, and the thread back where it started.
 */
export function checkTranscript(t: ExecutionContext, out: string): void {
  const inodes = [...out.matchAll(/namespace (?:red|blue)-\d+ +inode (\d+)/g)].map((m) => Number(m[1]));
  t.is(inodes.length, 2);
  t.not(inodes[0], inodes[1]);
  t.regex(out, /SO_MARK 0x2a/);
  t.is([...out.matchAll(/blue -> red +"pong \d from blue"/g)].length, 3);
  t.regex(out, /the socket counts 48 written, 51 read/);
  t.regex(out, /ends in namespace inode \d+: where it started/);
}
