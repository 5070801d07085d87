/**
 * {@link BufferGroup}: provided buffers for receives (see "Provided buffers" in `contract.ts`).
 *
 * A group owns `count` pool buffers of `bufferSize` bytes, all handed to the backend at creation. A receive that
 * selects the group completes with {@link COMPLETION_BUFFER} and a buffer id; from then the buffer is *lent* to the
 * caller, who reads its bytes and gives it back with {@link BufferGroup.recycle}. Invariant: every id is either with
 * the backend or lent, never both, so a buffer is never handed out twice; recycling an id that is not lent throws.
 *
 * @module
 */
import { ZokioError } from '@zokio/future';
import type { BufferPool, IoBuf } from '@zokio/memory';
import type { Backend } from './contract.js';

/** Buffers a receive can fill without naming one: see the module doc. @category Driver */
export class BufferGroup {
  /** The group id, as op records name it. */
  readonly id: number;
  /** Bytes per buffer. */
  readonly bufferSize: number;
  readonly #backend: Backend;
  readonly #pool: BufferPool;
  readonly #buffers: IoBuf[];
  /** 1 where the buffer is lent to the caller. */
  readonly #lent: Uint8Array;
  #lentCount = 0;
  #released = false;

  /** @internal Created by `IoDriver.createBufferGroup`. */
  constructor(backend: Backend, pool: BufferPool, id: number, count: number, bufferSize: number) {
    this.id = id;
    this.bufferSize = bufferSize;
    this.#backend = backend;
    this.#pool = pool;
    // Every buffer first (held for the group's life: no op waits for one), then the backend's group: a pool at its
    // cap, or a size it has no class for, fails the creation with nothing taken and no group id left in use.
    const buffers: IoBuf[] = [];
    try {
      for (let i = 0; i < count; i++) buffers.push(pool.acquireLongLived(bufferSize));
      backend.createBufferGroup(id, count);
    } catch (error) {
      for (const buf of buffers) pool.release(buf);
      throw error;
    }
    this.#buffers = buffers;
    this.#lent = new Uint8Array(count);
    for (let i = 0; i < count; i++) backend.provideBuffer(id, i, buffers[i]!.arenaId, buffers[i]!.offset, bufferSize);
  }

  /** Buffers in the group. */
  get count(): number {
    return this.#buffers.length;
  }

  /** Buffers lent to callers right now. */
  get lent(): number {
    return this.#lentCount;
  }

  /** The buffer named `bufferId` by a completion: its first `res` bytes hold what was received. */
  buffer(bufferId: number): IoBuf {
    const buf = this.#buffers[bufferId];
    if (buf === undefined) {
      throw new ZokioError(
        'ERR_ZOKIO_BAD_BUFFER_ID',
        `Expected a buffer id of group ${this.id} (0 – ${this.#buffers.length - 1}), got ${bufferId}`,
      );
    }
    return buf;
  }

  /** @internal The driver saw a completion that consumed `bufferId`. */
  markLent(bufferId: number): void {
    if (this.#lent[bufferId] === 0) {
      this.#lent[bufferId] = 1;
      this.#lentCount++;
    }
  }

  /** Gives a lent buffer back to the backend, for a later receive. */
  recycle(bufferId: number): void {
    const buf = this.buffer(bufferId);
    if (this.#lent[bufferId] !== 1) {
      throw new ZokioError(
        'ERR_ZOKIO_BUFFER_NOT_LENT',
        `Expected a buffer of group ${this.id} that a completion lent out, got buffer ${bufferId}, which the backend holds`,
      );
    }
    this.#lent[bufferId] = 0;
    this.#lentCount--;
    if (!this.#released) this.#backend.provideBuffer(this.id, bufferId, buf.arenaId, buf.offset, this.bufferSize);
  }

  /** @internal Returns every buffer to the pool (driver shutdown, after every op completed). */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    for (const buf of this.#buffers) this.#pool.release(buf);
  }
}
