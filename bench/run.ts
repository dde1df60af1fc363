/**
 * `npm run bench [-- --json FILE] [-- --readme] [-- --rounds N] [-- --quick]`
 *
 * Measures every hot path of netns against its floor, side by side in one run, and prints a
 * table of medians and ratios. `--json FILE` writes the figures as JSON; `--readme` replaces the
 * table between the bench markers in README.md. No benchmark is a test: nothing here fails on a
 * time; a missed target is reported, with its cause in the README.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';

import { compare, toMarkdown, type Comparison, type Result } from './harness';
import { comparisons } from './comparisons';
import { cleanup } from './fixtures';
import { goPeer, pyroute2Peer } from './peers';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function machine(): string {
  const cpu = cpus()[0]?.model ?? 'unknown CPU';
  return `${cpus().length} × ${cpu}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Linux ${release()}, Node ${process.version}`;
}

async function main(): Promise<void> {
  const quick = process.argv.includes('--quick');
  const rounds = Number(arg('--rounds') ?? (quick ? 3 : 7));
  const only = arg('--only');
  const results: Result[] = [];
  const extra: Record<string, unknown> = {};
  const notes: string[] = [];
  const go = goPeer(notes);
  const py = pyroute2Peer(notes);
  for (const note of notes) process.stderr.write(`bench: ${note}\n`);
  for (const make of comparisons) {
    const made = await make({ quick, extra, go, py });
    for (const c of made as Comparison[]) {
      if (only && !only.split(',').includes(c.id)) continue;
      process.stderr.write(`bench ${c.id}: ${c.title} ...`);
      const r = await compare(c, rounds);
      process.stderr.write(` ${r.ratio.toFixed(2)} (${r.met ? 'met' : 'missed'})\n`);
      results.push(r);
    }
  }
  const table = toMarkdown(results);
  const date = new Date().toISOString().slice(0, 10);
  const footer = `Measured ${date} on ${machine()}, ${rounds} rounds per row (median of the rounds).`;
  const facts = Object.entries(extra).map(([k, v]) => `- ${k}: ${v}`).join('\n');
  const notesText = notes.length ? `\n\n${notes.join(' ')}` : '';
  const text = `${table}\n\n${footer}${notesText}${facts ? `\n\n${facts}` : ''}\n`;
  console.log(text);
  const jsonFile = arg('--json');
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ date, machine: machine(), rounds, results, extra }, null, 2));
  if (process.argv.includes('--readme')) {
    const readme = join(__dirname, '..', 'README.md');
    const s = readFileSync(readme, 'utf8');
    const start = '<!-- bench:start -->';
    const end = '<!-- bench:end -->';
    const a = s.indexOf(start);
    const b = s.indexOf(end);
    if (a < 0 || b < a) throw new Error('README.md has no bench markers');
    writeFileSync(readme, `${s.slice(0, a + start.length)}\n${text}${s.slice(b)}`);
  }
}

process.on('SIGINT', () => {
  cleanup();
  process.exit(130);
});
main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(cleanup);
