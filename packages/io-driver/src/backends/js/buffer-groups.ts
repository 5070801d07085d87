/**
 * Provided-buffer groups of the `js` backend (see "Provided buffers" in `contract.ts`).
 *
 * Each group is a FIFO free list of buffers, each a view into an arena plus its id. A receive takes one buffer only
 * when it has bytes to put in it ({@link BufferGroups.take}), so an idle connection holds none; the buffer then
 * belongs to the caller until {@link BufferGroups.provide} hands it back. Invariant: ids are checked against the
 * group's capacity; a group's free list never holds more than its capacity (providing into a full group is refused),
 * mirroring the fixed-size ring the kernel uses.
 *
 * @module
 */
import { ZokioError } from '@zokio/future';
import { MAX_GROUP_BUFFERS } from '../../contract.js';
import type { Arenas } from './arenas.js';

/** A buffer taken from a group: its id (the completion's `aux`) and its bytes. */
export interface ProvidedBuffer {
  readonly id: number;
  readonly bytes: Uint8Array;
}

class Group {
  readonly capacity: number;
  /** Free buffers, oldest first, from `#head`. */
  #free: ProvidedBuffer[] = [];
  #head = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get size(): number {
    return this.#free.length - this.#head;
  }

  push(buffer: ProvidedBuffer): void {
    this.#free.push(buffer);
  }

  shift(): ProvidedBuffer | undefined {
    if (this.#head === this.#free.length) return undefined;
    const buffer = this.#free[this.#head++];
    // Compact now and then so the array does not grow with every take.
    if (this.#head >= 64 && this.#head * 2 >= this.#free.length) {
      this.#free = this.#free.slice(this.#head);
      this.#head = 0;
    }
    return buffer;
  }
}

function fail(code: string, message: string): never {
  throw new ZokioError(code, `js backend: ${message}`);
}

export class BufferGroups {
  readonly #groups = new Map<number, Group>();
  readonly #arenas: Arenas;

  constructor(arenas: Arenas) {
    this.#arenas = arenas;
  }

  /** See `Backend.createBufferGroup`. */
  create(group: number, capacity: number): void {
    if (!Number.isInteger(group) || group < 0 || group > 0xffff) {
      fail('EINVAL', `Expected a buffer group id from 0 to 65535, got ${String(group)}`);
    }
    if (
      !Number.isInteger(capacity) ||
      capacity < 1 ||
      capacity > MAX_GROUP_BUFFERS ||
      (capacity & (capacity - 1)) !== 0
    ) {
      fail(
        'EINVAL',
        `Expected a capacity that is a power of two from 1 to ${MAX_GROUP_BUFFERS}, got ${String(capacity)}`,
      );
    }
    if (this.#groups.has(group)) fail('EEXIST', `Expected an unused buffer group id, got ${group}, which exists`);
    this.#groups.set(group, new Group(capacity));
  }

  /** See `Backend.provideBuffer`. */
  provide(group: number, id: number, arenaId: number, offset: number, length: number): void {
    const g = this.#groups.get(group);
    if (g === undefined) fail('EINVAL', `Expected an existing buffer group, got ${String(group)}`);
    if (!Number.isInteger(id) || id < 0 || id >= g.capacity) {
      fail('EINVAL', `Expected a buffer id from 0 to ${g.capacity - 1} in group ${group}, got ${String(id)}`);
    }
    if (g.size >= g.capacity) fail('EINVAL', `Expected room in buffer group ${group}, got a full group`);
    const valid = [arenaId, offset, length].every((n) => Number.isInteger(n) && n >= 0);
    const bytes = valid ? this.#arenas.bytes(arenaId, offset, length) : undefined;
    if (bytes === undefined) {
      fail('EINVAL', `Expected a buffer inside a registered arena, got arena ${arenaId} [${offset}, +${length})`);
    }
    g.push({ id, bytes });
  }

  /** Takes the oldest free buffer of `group`; undefined when the group is empty or unknown. */
  take(group: number): ProvidedBuffer | undefined {
    return this.#groups.get(group)?.shift();
  }
}
