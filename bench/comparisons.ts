/** Every comparison the benchmark runs, in the order of the benchmark issue. */
import { getNS } from '../dist';
import { spawn } from 'node:child_process';
import { once } from 'node:events';

import { timeAsync, timeSync, type Comparison } from './harness';
import { benchNamespace, floor } from './fixtures';

/** Context for making comparisons: `quick` shrinks batches; `extra` collects reported facts. */
export interface BenchContext {
  quick: boolean;
  extra: Record<string, unknown>;
}

type Maker = (ctx: BenchContext) => Promise<Comparison[]> | Comparison[];

/** 1. `ns.do(() => {})` against open + setns + setns back + close in a Rust loop. */
const doAgainstRust: Maker = ({ quick }) => {
  const { path } = benchNamespace();
  const ns = getNS(path);
  const noop = () => {};
  return [
    {
      id: '1',
      title: '`ns.do(() => {})` vs the same syscalls in Rust',
      ours: { label: 'ns.do', run: (n) => timeSync(n, () => ns.do(noop)) },
      floor: { label: 'Rust loop', run: (n) => floor('do', path, n) },
      n: quick ? 5_000 : 50_000,
      goal: 'max',
      target: 1.3,
    },
  ];
};

/** Spawns and waits for exit; rejects on a failed spawn or a non-zero exit. */
async function runToExit(child: ReturnType<typeof spawn>): Promise<void> {
  const [code] = (await once(child, 'exit')) as [number | null];
  if (code !== 0) throw new Error(`child exited with ${code}`);
}

/** 5. `ns.spawn('true')` until exit against `child_process.spawn('true')` and `ip netns exec NS true`. */
const spawnAgainstNode: Maker = ({ quick }) => {
  const { name, path } = benchNamespace();
  const ns = getNS(path);
  const n = quick ? 20 : 100;
  const ours = { label: 'ns.spawn', run: (k: number) => timeAsync(k, () => runToExit(ns.spawn('true'))) };
  return [
    {
      id: '5a',
      title: "`ns.spawn('true')` until exit vs `child_process.spawn('true')`",
      ours,
      floor: { label: 'spawn', run: (k) => timeAsync(k, () => runToExit(spawn('true'))) },
      n,
      goal: 'max',
      target: 1.1,
    },
    {
      id: '5b',
      title: "`ns.spawn('true')` until exit vs `ip netns exec NS true`",
      ours,
      floor: { label: 'ip netns exec', run: (k) => timeAsync(k, () => runToExit(spawn('ip', ['netns', 'exec', name, 'true']))) },
      n,
      goal: 'min',
      target: 1,
    },
  ];
};

/** The comparisons, in order. */
export const comparisons: Maker[] = [doAgainstRust, spawnAgainstNode];
