/**
 * The process's schedule randomness, seeded so that a failing interleaving can be replayed: `select`'s random
 * start (Tokio's fairness rule) draws from here, and nothing else in a runtime's scheduling is random.
 *
 * The seed is random per process unless set: `seedRandom(n)`, or the runtime's `seed` option (`ZOKIO_SEED`), which
 * `rt.describe()` reports — so a run that failed can be repeated with the very same choices.
 *
 * @module
 */
import { expected } from './errors.js';

let seed = (Math.random() * 0xffffffff) >>> 0 || 1;
let state = mix(seed);

/** murmur3's finalizer: xorshift from a small seed would start with tiny numbers; 0 is its one bad state. */
function mix(value: number): number {
  let h = value >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0 || 0x9e3779b9;
}

/**
 * Seeds the generator behind `select`'s random start (xorshift32), so the same program makes the same choices:
 * with the same inputs and the same I/O timing, the same interleaving. Returns the seed.
 *
 * @example
 * ```ts
 * import { randomSeed, seedRandom } from '@zokio/future';
 * seedRandom(42);
 * randomSeed(); // 42
 * ```
 * @category Testing
 */
export function seedRandom(value: number): number {
  if (!Number.isInteger(value) || value < 1 || value > 0xffffffff)
    expected('a seed: an integer from 1 to 2^32 - 1', value, 'seedRandom');
  seed = value;
  state = mix(value);
  return seed;
}

/**
 * The seed in use: the last one given to {@link seedRandom}, or the one drawn at start — print it with a failure,
 * and `seedRandom(it)` (or `ZOKIO_SEED`) replays the run's choices.
 *
 * @example
 * ```ts
 * import { randomSeed } from '@zokio/future';
 * console.log(`schedule seed: ${randomSeed()}`);
 * ```
 * @category Testing
 */
export function randomSeed(): number {
  return seed;
}

/** @internal An integer in [0, n), from the seeded generator. Allocation-free. */
export function randomBelow(n: number): number {
  let x = state;
  x ^= x << 13;
  x ^= x >>> 17;
  x ^= x << 5;
  state = x >>> 0;
  return state % n;
}
