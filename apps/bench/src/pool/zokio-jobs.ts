/**
 * `fork_join`'s nested form, for zokio: a job that forks its two halves as jobs of its own with `spawnJob` (from
 * inside a job, on a worker thread) and joins them, down to the cut-off, where it computes fib sequentially. Loaded
 * by URL in each of the runtime's worker threads; it imports `@zokio/scheduler` by its package name (left external
 * by the build), so that it shares the thread's scheduler.
 *
 * @module
 */
import { fn } from '@zokio/future';
import { spawnJob } from '@zokio/scheduler';
import { fibSeq } from './jobs.js';

/** This module, for the jobs it spawns. */
const SELF = new URL(import.meta.url);

/** fib(`n`): two jobs for fib(n − 1) and fib(n − 2) above `cutoff`, computed here at or below it. */
export const fib = fn(function* (n: number, cutoff: number) {
  if (n <= cutoff) return fibSeq(n);
  const a = spawnJob<number>(SELF, 'fib', [n - 1, cutoff]);
  const b = spawnJob<number>(SELF, 'fib', [n - 2, cutoff]);
  return (yield* a) + (yield* b);
});
