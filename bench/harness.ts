/**
 * The benchmark harness: runs two contenders side by side, in alternating order, for several
 * rounds, and reports the median of each and the ratio of the medians. Machines here are noisy,
 * so only ratios measured in the same run are compared against targets.
 */

/** One contender: takes a batch size and returns the mean nanoseconds per operation. */
export type Contender = { label: string; run: (n: number) => number | Promise<number> };

/** A comparison: ours against a floor, with a target on the ratio ours/floor. */
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
  note?: string;
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
  note?: string;
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

/** Runs a comparison for `rounds` rounds, alternating which contender goes first. */
export async function compare(c: Comparison, rounds: number): Promise<Result> {
  await c.ours.run(Math.max(1, Math.floor(c.n / 10))); // warm up both
  await c.floor.run(Math.max(1, Math.floor(c.n / 10)));
  const ours: number[] = [];
  const floor: number[] = [];
  for (let r = 0; r < rounds; r++) {
    if (r % 2 === 0) {
      ours.push(await c.ours.run(c.n));
      floor.push(await c.floor.run(c.n));
    } else {
      floor.push(await c.floor.run(c.n));
      ours.push(await c.ours.run(c.n));
    }
  }
  const o = median(ours);
  const f = median(floor);
  const ratio = c.goal === 'max' ? o / f : f / o;
  return {
    id: c.id,
    title: c.title,
    ours: { label: c.ours.label, medianNs: o, samples: ours },
    floor: { label: c.floor.label, medianNs: f, samples: floor },
    ratio,
    goal: c.goal,
    target: c.target,
    met: c.goal === 'max' ? ratio <= c.target : ratio >= c.target,
    note: c.note,
  };
}

/** A human-friendly duration. */
export function formatNs(ns: number): string {
  if (ns < 1_000) return `${ns.toFixed(0)} ns`;
  if (ns < 1_000_000) return `${(ns / 1_000).toFixed(2)} µs`;
  return `${(ns / 1_000_000).toFixed(2)} ms`;
}

/** The results as a Markdown table. */
export function toMarkdown(results: Result[]): string {
  const rows = results.map((r) => {
    const want = r.goal === 'max' ? `≤ ${r.target}` : `≥ ${r.target}×`;
    const got = r.goal === 'max' ? r.ratio.toFixed(2) : `${r.ratio.toFixed(1)}×`;
    return `| ${r.id} | ${r.title} | ${r.ours.label}: ${formatNs(r.ours.medianNs)} | ${r.floor.label}: ${formatNs(r.floor.medianNs)} | ${got} | ${want} | ${r.met ? 'met' : 'missed'} |`;
  });
  return ['| # | comparison | ours (median) | floor (median) | ratio | target | |', '| --- | --- | --- | --- | --- | --- | --- |', ...rows].join('\n');
}
