/** Every comparison the benchmark runs, in the order of the benchmark issue. */
import { getNS } from '../dist';
import { timeSync, type Comparison } from './harness';
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

/** The comparisons, in order. */
export const comparisons: Maker[] = [doAgainstRust];
