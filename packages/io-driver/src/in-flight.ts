/**
 * {@link InFlightTable}: the ops in flight, by token, without an allocation per op.
 *
 * ```
 *   token (u32) = generation (12 bits) << 20 | slot (20 bits)
 *   slot:        0      1      2      3  …        free list (stack of slot numbers): [3, 1, …]
 *   tokens:   [ t0 ][  0  ][ t2 ][  0  ]         0 = free
 *   handlers: [ h0 ][     ][ h2 ][     ]
 *   opcodes, cancelled flags: Uint8Arrays beside them
 * ```
 * A slot's generation advances each time it is reused, so a token names one op for good: a late or duplicate
 * completion for a reused slot finds a different token there and is ignored. Arrays double when full (up to 2^20
 * slots, a million ops in flight).
 *
 * @module
 */
import type { CompletionHandler } from './driver.js';

const SLOT_BITS = 20;
const SLOT_MASK = (1 << SLOT_BITS) - 1;
const MAX_SLOTS = 1 << SLOT_BITS;

export class InFlightTable {
  #tokens = new Uint32Array(256);
  #generations = new Uint16Array(256);
  #opcodes = new Uint8Array(256);
  #cancelled = new Uint8Array(256);
  #handlers: (CompletionHandler | undefined)[] = new Array<CompletionHandler | undefined>(256).fill(undefined);
  #free = new Int32Array(256);
  #freeTop = 0;
  #used = 0;
  #live = 0;

  get size(): number {
    return this.#live;
  }

  /** Records a new op; returns its token (never 0). */
  add(handler: CompletionHandler, opcode: number): number {
    let slot: number;
    if (this.#freeTop > 0) slot = this.#free[--this.#freeTop]!;
    else {
      if (this.#used === this.#tokens.length) this.#grow();
      slot = this.#used++;
    }
    const generation = (this.#generations[slot]! % 4095) + 1; // 1..4095: a token is never 0
    this.#generations[slot] = generation;
    const token = ((generation << SLOT_BITS) | slot) >>> 0;
    this.#tokens[slot] = token;
    this.#handlers[slot] = handler;
    this.#opcodes[slot] = opcode;
    this.#cancelled[slot] = 0;
    this.#live++;
    return token;
  }

  /** The slot of a live token, or −1. */
  slotOf(token: number): number {
    const slot = token & SLOT_MASK;
    return slot < this.#used && this.#tokens[slot] === token ? slot : -1;
  }

  handler(slot: number): CompletionHandler {
    return this.#handlers[slot]!;
  }

  opcode(slot: number): number {
    return this.#opcodes[slot]!;
  }

  isCancelled(slot: number): boolean {
    return this.#cancelled[slot] === 1;
  }

  markCancelled(slot: number): void {
    this.#cancelled[slot] = 1;
  }

  /** Retires a slot after its final completion. */
  remove(slot: number): void {
    this.#tokens[slot] = 0;
    this.#handlers[slot] = undefined;
    this.#free[this.#freeTop++] = slot;
    this.#live--;
  }

  /** Tokens of every op in flight. */
  tokens(): number[] {
    const out: number[] = [];
    for (let slot = 0; slot < this.#used; slot++) if (this.#tokens[slot] !== 0) out.push(this.#tokens[slot]!);
    return out;
  }

  #grow(): void {
    const size = this.#tokens.length * 2;
    if (size > MAX_SLOTS) throw new RangeError(`More than ${MAX_SLOTS} I/O ops in flight`);
    const grow = <A extends Uint32Array | Uint16Array | Uint8Array | Int32Array>(old: A, make: (n: number) => A): A => {
      const next = make(size);
      next.set(old);
      return next;
    };
    this.#tokens = grow(this.#tokens, (n) => new Uint32Array(n));
    this.#generations = grow(this.#generations, (n) => new Uint16Array(n));
    this.#opcodes = grow(this.#opcodes, (n) => new Uint8Array(n));
    this.#cancelled = grow(this.#cancelled, (n) => new Uint8Array(n));
    this.#free = grow(this.#free, (n) => new Int32Array(n));
    this.#handlers.length = size;
    this.#handlers.fill(undefined, this.#used);
  }
}
