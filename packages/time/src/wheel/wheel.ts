/**
 * The hierarchical timer wheel (Tokio's `runtime/time/wheel`): 6 levels × 64 slots at 1 ms resolution.
 *
 * ```
 *   level 0: 64 slots ×      1 ms  = 64 ms              ┐
 *   level 1: 64 slots ×     64 ms  ≈ 4.1 s              │ an entry is filed at the level of the most
 *   level 2: 64 slots ×  4,096 ms  ≈ 4.4 min            │ significant 6-bit digit in which its deadline
 *   level 3: 64 slots ×    262 s   ≈ 4.7 h              │ differs from `elapsed`, in the slot of its digit
 *   level 4: 64 slots ×    4.7 h   ≈ 12.4 days          │ there
 *   level 5: 64 slots ×   12.4 d   ≈ 2.2 years          ┘
 * ```
 * Each level keeps a 64-bit occupied bitmap (two 32-bit halves) so the next non-empty slot is found with a
 * count-trailing-zeros, not a scan. Advancing to a slot of a higher level **cascades** its entries: each is due, or
 * re-filed at a lower level relative to the new `elapsed`. So insert and cancel are O(1), and each entry moves at
 * most 6 times in its life.
 *
 * Invariant (why the lowest non-empty level holds the next expiration): an entry at level `l` differs from
 * `elapsed` in digit `l` and agrees in every digit above, so it is due before anything filed at a higher level,
 * whose slot starts at a later boundary of level `l + 1`.
 *
 * Ticks are integer milliseconds since the driver's origin; deadlines are rounded up by the caller, and an entry
 * fires only once `elapsed ≥ its deadline`: never early. Deadlines beyond the wheel's span (2^36 ms) are clamped to it.
 *
 * @module
 */
import { TimerEntry, UNREGISTERED } from './entry.js';

export const LEVELS = 6;
export const SLOTS = 64;
/** The furthest deadline the wheel can hold, in ticks from `elapsed`: 64^6 − 1 ms (about 2.2 years). */
export const MAX_SPAN = SLOTS ** LEVELS - 1;

/** Ticks covered by one slot of each level: 64^level. */
const SLOT_RANGE = Array.from({ length: LEVELS }, (_, level) => SLOTS ** level);
/** Ticks covered by a whole level: 64^(level + 1). */
const LEVEL_RANGE = Array.from({ length: LEVELS }, (_, level) => SLOTS ** (level + 1));

/** Count of trailing zero bits of a non-zero 32-bit integer. */
function ctz32(x: number): number {
  return 31 - Math.clz32(x & -x);
}

/** The lowest set bit at index ≥ `start` of the 64-bit map `hi:lo`, or `undefined`. */
function firstSetFrom(lo: number, hi: number, start: number): number | undefined {
  if (start < 32) {
    const bits = lo & (~0 << start);
    if (bits !== 0) return ctz32(bits);
    start = 32;
  }
  const bits = hi & (~0 << (start - 32));
  return bits !== 0 ? 32 + ctz32(bits) : undefined;
}

/** The next expiration: which slot, and the tick its range starts at. */
export interface Expiration {
  readonly level: number;
  readonly slot: number;
  readonly deadline: number;
}

export class Wheel {
  /** The tick up to which every due entry has fired. */
  #elapsed = 0;
  /** Slot lists: heads only, entries link to each other. Index `level * 64 + slot`. */
  readonly #heads: (TimerEntry | undefined)[] = new Array<TimerEntry | undefined>(LEVELS * SLOTS).fill(undefined);
  /** Occupied bitmaps: `[level * 2]` slots 0–31, `[level * 2 + 1]` slots 32–63. */
  readonly #occupied = new Uint32Array(LEVELS * 2);
  #count = 0;

  get elapsed(): number {
    return this.#elapsed;
  }

  /** Entries filed. */
  get size(): number {
    return this.#count;
  }

  /**
   * Files `entry` under `deadline` (a tick), which becomes its true deadline. A deadline at or before `elapsed` must
   * be fired by the caller instead. A deadline beyond the wheel's span is filed at the span's end and re-filed then.
   */
  insert(entry: TimerEntry, deadline: number): void {
    if (deadline <= this.#elapsed)
      throw new RangeError(`Timer deadline ${deadline} is not after elapsed ${this.#elapsed}`);
    entry.trueDeadline = deadline;
    if (deadline - this.#elapsed > MAX_SPAN) deadline = this.#elapsed + MAX_SPAN;
    entry.cachedDeadline = deadline;
    const level = this.#levelFor(deadline);
    const slot = Math.floor(deadline / SLOT_RANGE[level]!) % SLOTS;
    const index = level * SLOTS + slot;
    const head = this.#heads[index];
    entry.prevInSlot = undefined;
    entry.nextInSlot = head;
    if (head !== undefined) head.prevInSlot = entry;
    this.#heads[index] = entry;
    entry.slotIndex = index;
    this.#occupied[level * 2 + (slot >>> 5)]! |= 1 << (slot & 31);
    this.#count++;
  }

  /** Unfiles `entry` if it is filed. */
  remove(entry: TimerEntry): void {
    const index = entry.slotIndex;
    if (index === UNREGISTERED) return;
    const { prevInSlot, nextInSlot } = entry;
    if (prevInSlot !== undefined) prevInSlot.nextInSlot = nextInSlot;
    else this.#heads[index] = nextInSlot;
    if (nextInSlot !== undefined) nextInSlot.prevInSlot = prevInSlot;
    entry.prevInSlot = entry.nextInSlot = undefined;
    entry.slotIndex = UNREGISTERED;
    this.#count--;
    if (this.#heads[index] === undefined) {
      const level = Math.floor(index / SLOTS);
      const slot = index % SLOTS;
      this.#occupied[level * 2 + (slot >>> 5)]! &= ~(1 << (slot & 31));
    }
  }

  /** The earliest non-empty slot and the tick it starts at, or `undefined` when the wheel is empty. */
  nextExpiration(): Expiration | undefined {
    if (this.#count === 0) return undefined;
    for (let level = 0; level < LEVELS; level++) {
      const slot = this.#nextOccupiedSlot(level);
      if (slot === undefined) continue;
      const levelStart = this.#elapsed - (this.#elapsed % LEVEL_RANGE[level]!);
      let deadline = levelStart + slot * SLOT_RANGE[level]!;
      if (deadline <= this.#elapsed) deadline += LEVEL_RANGE[level]!;
      return { level, slot, deadline };
    }
    return undefined;
  }

  /**
   * Advances `elapsed` to `now`, calling `fire(entry)` for every entry due by then, in deadline order (entries due
   * on the same tick in no particular order). Entries whose true deadline was lazily moved later are re-filed.
   */
  advance(now: number, fire: (entry: TimerEntry) => void): void {
    for (;;) {
      const expiration = this.nextExpiration();
      if (expiration === undefined || expiration.deadline > now) break;
      this.#elapsed = expiration.deadline;
      this.#processSlot(expiration.level, expiration.slot, fire);
    }
    if (now > this.#elapsed) this.#elapsed = now;
  }

  #processSlot(level: number, slot: number, fire: (entry: TimerEntry) => void): void {
    const index = level * SLOTS + slot;
    let entry = this.#heads[index];
    this.#heads[index] = undefined;
    this.#occupied[level * 2 + (slot >>> 5)]! &= ~(1 << (slot & 31));
    while (entry !== undefined) {
      const next = entry.nextInSlot;
      entry.prevInSlot = entry.nextInSlot = undefined;
      entry.slotIndex = UNREGISTERED;
      this.#count--;
      if (entry.trueDeadline <= this.#elapsed) fire(entry);
      else this.insert(entry, entry.trueDeadline); // cascade, or a lazy reset catching up
      entry = next;
    }
  }

  #nextOccupiedSlot(level: number): number | undefined {
    const lo = this.#occupied[level * 2]!;
    const hi = this.#occupied[level * 2 + 1]!;
    if (lo === 0 && hi === 0) return undefined;
    // From the slot after the one `elapsed` is in at this level, wrapping around to 0 and ending at that one. Below
    // the top level that slot is always empty (its entries fired or cascaded when `elapsed` entered it). At the top
    // level it may hold entries of the next 64^6-tick epoch (a far deadline, clamped to the span): they are due
    // after every other slot of the level, so they are looked at last.
    const now = Math.floor(this.#elapsed / SLOT_RANGE[level]!) % SLOTS;
    return (now + 1 < SLOTS ? firstSetFrom(lo, hi, now + 1) : undefined) ?? firstSetFrom(lo, hi, 0);
  }

  /** The level at which `deadline` is filed relative to `elapsed`: its most significant differing 6-bit digit. */
  #levelFor(deadline: number): number {
    let level = 0;
    while (
      level < LEVELS - 1 &&
      Math.floor(this.#elapsed / LEVEL_RANGE[level]!) !== Math.floor(deadline / LEVEL_RANGE[level]!)
    ) {
      level++;
    }
    return level;
  }
}
