/**
 * What the three peer pools share: every scenario written over one call, `run(name, arg)`, that submits the job
 * `name` of `jobs.ts` with one argument and returns its promise. Jobs cannot submit jobs on these pools (a worker
 * has no handle on its pool), so `fork_join` is the flat form: the main thread splits the tree down to the
 * cut-off, submits every leaf at once, and sums the results.
 *
 * @module
 */
import { forkJoinSplit, type Pool } from './harness.js';

/** A job of `jobs.ts`, by its export name. */
export type JobName = 'inc' | 'spinTimed' | 'fibSeq';

/** Submits `count` jobs (the i-th running `name(arg(i))`), every one before any is awaited; sums the results. */
async function submitAll(
  run: (name: JobName, arg: number) => PromiseLike<number>,
  name: JobName,
  count: number,
  arg: (i: number) => number,
): Promise<number> {
  const results = new Array<PromiseLike<number>>(count);
  for (let i = 0; i < count; i++) results[i] = run(name, arg(i));
  let sum = 0;
  for (const value of await Promise.all(results)) sum += value;
  return sum;
}

/** A {@link Pool} over a peer's `run` and `close`. */
export function peerPool(run: (name: JobName, arg: number) => PromiseLike<number>, close: () => Promise<void>): Pool {
  return {
    tiny: (jobs) => submitAll(run, 'inc', jobs, (i) => i),
    heavy: (jobs, iterations) => submitAll(run, 'spinTimed', jobs, () => iterations),
    forkJoin: (n, cutoff) => {
      const leaves = forkJoinSplit(n, cutoff);
      return submitAll(run, 'fibSeq', leaves.length, (i) => leaves[i]!);
    },
    close,
  };
}
