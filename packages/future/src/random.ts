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

/**
 * A small seeded generator (xorshift32, its seed mixed first): fast, allocation-free and replayable — the same seed
 * gives the same numbers. Not for cryptography.
 *
 * @example
 * ```ts
 * import { SeededRandom } from '@zokio/future';
 * const a = new SeededRandom(7);
 * const b = new SeededRandom(7);
 * a.below(100) === b.below(100); // true
 * ```
 * @category Testing
 */
export class SeededRandom {
  #state: number;

  constructor(seed: number) {
    // Mixed first (murmur3's finalizer): xorshift from a small seed starts with tiny numbers, and 0 is its one bad
    // state.
    let h = seed >>> 0;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    this.#state = (h ^ (h >>> 16)) >>> 0 || 0x9e3779b9;
  }

  /** The next 32 random bits, as an unsigned integer. */
  nextUint32(): number {
    let x = this.#state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (this.#state = x >>> 0);
  }

  /** A number in [0, 1). */
  next(): number {
    return this.nextUint32() / 2 ** 32;
  }

  /** An integer in [0, n). */
  below(n: number): number {
    return this.nextUint32() % n;
  }

  /** True with probability `p`. */
  chance(p: number): boolean {
    return p > 0 && this.next() < p;
  }
}

let seed = (Math.random() * 0xffffffff) >>> 0 || 1;
/** The schedule's generator: `select`'s random start. */
let schedule = new SeededRandom(seed);

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
  schedule = new SeededRandom(value);
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

/** @internal An integer in [0, n), from the schedule's generator. Allocation-free. */
export function randomBelow(n: number): number {
  return schedule.below(n);
}
