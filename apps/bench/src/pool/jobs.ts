/**
 * The jobs every worker-pool contender runs, one module loaded by URL in each worker thread: piscina and tinypool
 * call an export by name (`{ name: 'inc' }`), zokio's `rt.spawnJob(url, 'inc', [x])` too, and workerpool registers
 * the same functions from its own worker script (`workerpool-worker.ts`). Plain functions of one number, no
 * imports: a peer's thread loads nothing of zokio's. (`fork_join`'s nested form, which needs `spawnJob`, is zokio's
 * own module: `zokio-jobs.ts`.)
 *
 * @module
 */

/** `worker_tiny`'s job: nothing, so that what is measured is the round trip to a thread. */
export function inc(x: number): number {
  return x + 1;
}

/**
 * `worker_heavy`'s job: `iterations` rounds of xorshift32, pure CPU with no allocation, its result depending on
 * every round so that no round can be skipped. Its iterations are calibrated on the calling thread
 * (`calibrateSpin`); its duration in the run is timed on the thread that runs it ({@link spinTimed}).
 */
export function spin(iterations: number): number {
  let x = 0x9e3779b9 | 0;
  for (let i = 0; i < iterations; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
  }
  return x >>> 0;
}

/**
 * `worker_heavy`'s job: {@link spin}, timed on the thread that runs it. Returns `2 × its nanoseconds + (spin's
 * result & 1)`: the sum of many such results gives the time the jobs really took on their threads (so what a pool
 * adds is measured apart from how fast a busy core happens to run), and still depends on every round of the loop.
 */
export function spinTimed(iterations: number): number {
  const start = performance.now();
  const x = spin(iterations);
  return Math.round((performance.now() - start) * 1e6) * 2 + (x & 1);
}

/** Decodes a sum of {@link spinTimed} results of `jobs` jobs of `iterations`: their total time in ns. */
export function spinTimedNs(sum: number, jobs: number, iterations: number): number {
  const parity = jobs * (spin(iterations) & 1);
  const twice = sum - parity;
  if (twice < 0 || twice % 2 !== 0)
    throw new Error(`Expected a sum of ${jobs} spinTimed(${iterations}) results, got ${sum}`);
  return twice / 2;
}

/** fib(`n`), the exponential way: `fork_join`'s leaf, computed sequentially in one job. */
export function fibSeq(n: number): number {
  return n < 2 ? n : fibSeq(n - 1) + fibSeq(n - 2);
}
