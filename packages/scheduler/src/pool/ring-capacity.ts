/**
 * The capacity rule of the pool's rings in shared memory ({@link JobDeque}, {@link InjectQueue}, and so the pool's
 * slot count): a power of two, so a position maps to its cell with a mask, from 2 to 2²⁰.
 *
 * @module
 */

/** The most job ids one ring holds. */
export const MAX_RING_CAPACITY = 1 << 20;

/** True if `n` is a ring capacity: a power of two from 2 to {@link MAX_RING_CAPACITY}. */
export function isRingCapacity(n: number): boolean {
  return Number.isInteger(n) && n >= 2 && n <= MAX_RING_CAPACITY && (n & (n - 1)) === 0;
}

/** Throws a `RangeError` naming `what` unless `n` is a ring capacity. */
export function checkRingCapacity(n: number, what: string): void {
  if (!isRingCapacity(n)) throw new RangeError(`${what} that is a power of two from 2 to 2^20, got ${String(n)}`);
}
