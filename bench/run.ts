/**
 * `npm run bench [-- --json FILE] [-- --readme] [-- --rounds N] [-- --quick] [-- --only 1,4]`
 *
 * Measures every hot path of netns against its floor, side by side in one run, and prints a
 * table of medians and ratios; each row names its run (start time, and the load average when
 * the row began). `--json FILE` writes the figures as JSON; `--readme` writes the table between
 * the bench markers in docs/benchmarks.md (with `--only`, the rows not re-run stay as they were,
 * with their own run). No benchmark is a test: nothing here fails on a time; a missed target is
 * reported, with its cause in docs/benchmarks.md.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';

import { cFloor } from './cfloor';
import { compare, mergeTables, toMarkdown, type Comparison, type Result } from './harness';
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
  const c = cFloor();
  const go = goPeer(notes);
  const py = pyroute2Peer(notes);
  for (const note of notes) process.stderr.write(`bench: ${note}\n`);
  const started = new Date();
  const runName = `${started.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const startLoad = loadavg().map((l) => l.toFixed(2)).join(', ');
  for (const make of comparisons) {
    const made = await make({ quick, extra, c, go, py });
    for (const cmp of made as Comparison[]) {
      if (only && !only.split(',').includes(cmp.id)) continue;
      const load = loadavg()[0].toFixed(2);
      process.stderr.write(`bench ${cmp.id} (load ${load}): ${cmp.title} ...`);
      const r = await compare(cmp, rounds);
      r.run = `${runName}, load ${load}`;
      process.stderr.write(` ${r.ratio.toFixed(2)} (${r.met ? 'met' : 'missed'})\n`);
      results.push(r);
    }
  }
  const date = started.toISOString().slice(0, 10);
  const endLoad = loadavg().map((l) => l.toFixed(2)).join(', ');
  const footer =
    `The run of ${runName}: ${machine()}, ${rounds} rounds per row (median of the rounds); load average ` +
    `(1, 5, 15 min) ${startLoad} at its start and ${endLoad} at its end.`;
  const docs = join(__dirname, '..', 'docs', 'benchmarks.md');
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const page = process.argv.includes('--readme') ? readFileSync(docs, 'utf8') : '';
  const a = page.indexOf(start);
  const b = page.indexOf(end);
  if (page && (a < 0 || b < a)) throw new Error('docs/benchmarks.md has no bench markers');
  const merged = only && page ? mergeTables(page.slice(a, b), results) : toMarkdown(results);
  const keptNote = only && page ? '\n\nRows whose run column names an earlier run are kept from it (`--only` re-ran the others).' : '';
  const table = `${merged}${keptNote}`;
  const facts = Object.entries(extra).map(([k, v]) => `- ${k}: ${v}`).join('\n');
  const notesText = notes.length ? `\n\n${notes.join(' ')}` : '';
  const text = `${table}\n\n${footer}${notesText}${facts ? `\n\n${facts}` : ''}\n`;
  console.log(text);
  const jsonFile = arg('--json');
  if (jsonFile) writeFileSync(jsonFile, JSON.stringify({ date, machine: machine(), rounds, results, extra }, null, 2));
  if (page) writeFileSync(docs, `${page.slice(0, a + start.length)}\n${text}${page.slice(b)}`);
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
