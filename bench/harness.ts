/**
 * The benchmark harness: runs two contenders side by side, in alternating order, for several
 * rounds, and reports the median of each and the ratio of the medians. Machines here are noisy,
 * so only ratios measured in the same run are compared against targets.
 */

/** One contender: takes a batch size and returns the mean nanoseconds per operation. */
export type Contender = { label: string; run: (n: number) => number | Promise<number> };

/** A peer library doing the same operation; `target`: ours must be at least this many times faster. */
export interface Peer extends Contender {
  target?: number;
}

/** A comparison: ours against a floor, with a target on the ratio ours/floor, and peers beside. */
export interface Comparison {
  id: string;
  title: string;
  ours: Contender;
  floor: Contender;
  /** Batch size per round. */
  n: number;
  /** `max`: ours/floor must be at most `target`; `min`: floor/ours must be at least `target`. */
  goal: 'max' | 'min';
  target: number;
  /** Other libraries timed in the same rounds, on the same namespace and loop count. */
  peers?: Peer[];
  note?: string;
}

/** What one peer measured, and how many times faster ours was (peer median / ours median). */
export interface PeerResult {
  label: string;
  medianNs: number;
  samples: number[];
  speedup: number;
  target?: number;
  met: boolean;
}

/** What one comparison measured. */
export interface Result {
  id: string;
  title: string;
  ours: { label: string; medianNs: number; samples: number[] };
  floor: { label: string; medianNs: number; samples: number[] };
  /** ours/floor for `max` goals, floor/ours for `min` goals. */
  ratio: number;
  goal: 'max' | 'min';
  target: number;
  met: boolean;
  peers: PeerResult[];
  note?: string;
  /** The run the row comes from: its start (UTC) and the 1-minute load average when the row began. */
  run?: string;
}

/** The median of a list of numbers. */
export function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

/** Mean nanoseconds per call of `fn` over `n` calls. */
export function timeSync(n: number, fn: () => void): number {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) fn();
  return Number(process.hrtime.bigint() - start) / n;
}

/** Mean nanoseconds per call of an async `fn` over `n` sequential calls. */
export async function timeAsync(n: number, fn: () => Promise<void>): Promise<number> {
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn();
  return Number(process.hrtime.bigint() - start) / n;
}

/** Runs a comparison for `rounds` rounds, rotating which contender goes first. */
export async function compare(c: Comparison, rounds: number): Promise<Result> {
  await c.ours.run(Math.max(1, Math.floor(c.n / 10))); // warm up ours and the floor
  await c.floor.run(Math.max(1, Math.floor(c.n / 10)));
  const contenders: Contender[] = [c.ours, c.floor, ...(c.peers ?? [])];
  const samples: number[][] = contenders.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (let k = 0; k < contenders.length; k++) {
      const i = (k + r) % contenders.length;
      samples[i].push(await contenders[i].run(c.n));
    }
  }
  const [ours, floor] = samples;
  const o = median(ours);
  const f = median(floor);
  const ratio = c.goal === 'max' ? o / f : f / o;
  const peers = (c.peers ?? []).map((p, i): PeerResult => {
    const medianNs = median(samples[i + 2]);
    const speedup = medianNs / o;
    return { label: p.label, medianNs, samples: samples[i + 2], speedup, target: p.target, met: p.target === undefined || speedup >= p.target };
  });
  return {
    id: c.id,
    title: c.title,
    ours: { label: c.ours.label, medianNs: o, samples: ours },
    floor: { label: c.floor.label, medianNs: f, samples: floor },
    ratio,
    goal: c.goal,
    target: c.target,
    met: (c.goal === 'max' ? ratio <= c.target : ratio >= c.target) && peers.every((p) => p.met),
    peers,
    note: c.note,
  };
}

/** A human-friendly duration. */
export function formatNs(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  return `${(ns / 1_000_000).toFixed(2)} ms`;
}

/** One peer cell: its median, how many times faster ours was, and its target if it has one. */
function peerCell(p: PeerResult): string {
  const want = p.target === undefined ? '' : ` (target ≥ ${p.target}×, ${p.met ? 'met' : 'missed'})`;
  return `${p.label}: ${formatNs(p.medianNs)}, ours ${p.speedup >= 10 ? p.speedup.toFixed(0) : p.speedup.toFixed(1)}× faster${want}`;
}

/** The first two lines of the table. */
export const TABLE_HEAD = [
  '| # | comparison | ours (median) | floor (median) | ratio | target | | peers (median; ours/peer speed-up) | run |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
].join('\n');

/**
 * The table of `results` merged into the table `old` (a previous generated block): rows of `old`
 * whose id was not measured now are kept as they are (their run column names their run), the
 * others are replaced in place, and new ids are appended.
 */
export function mergeTables(old: string, results: Result[]): string {
  const fresh = new Map(toMarkdown(results).split('\n').slice(2).map((line) => [rowId(line), line]));
  const kept = old
    .split('\n')
    .filter((line) => /^\| [0-9a-z]+ \|/.test(line) && rowId(line) !== '#')
    .map((line) => fresh.get(rowId(line)) ?? line);
  const ids = new Set(kept.map(rowId));
  return [TABLE_HEAD, ...kept, ...[...fresh].filter(([id]) => !ids.has(id)).map(([, line]) => line)].join('\n');
}

function rowId(line: string): string {
  return line.split('|')[1]?.trim() ?? '';
}

/** The results as a Markdown table. */
export function toMarkdown(results: Result[]): string {
  const rows = results.map((r) => {
    const want = r.goal === 'max' ? `≤ ${r.target}` : `≥ ${r.target}×`;
    const got = r.goal === 'max' ? r.ratio.toFixed(2) : `${r.ratio.toFixed(1)}×`;
    const peers = r.peers.map(peerCell).join('<br>') || '–';
    return `| ${r.id} | ${r.title} | ${r.ours.label}: ${formatNs(r.ours.medianNs)} | ${r.floor.label}: ${formatNs(r.floor.medianNs)} | ${got} | ${want} | ${r.met ? 'met' : 'missed'} | ${peers} | ${r.run ?? ''} |`;
  });
  return [TABLE_HEAD, ...rows].join('\n');
}
