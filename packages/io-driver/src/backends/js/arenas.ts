/**
 * The arenas op records name by id (`registerArena`), and the three ways a record refers into them: a byte range
 * (a buffer, an address), a NUL-terminated path, and an iovec table of `READV`/`WRITEV`.
 *
 * Every reference is bounds-checked here, so the op code never touches memory outside an arena: an out-of-bounds
 * reference resolves to `undefined`, which the op reports as `-EFAULT`. The views returned alias the arena (no
 * copy); that is safe because arenas are never resized or transferred while registered (contract rule 5) and the
 * backend owns the bytes until the op's final completion (rule 2).
 *
 * @module
 */
import { IOV_MAX, IOVEC_ENTRY_BYTES } from '../../contract.js';
import { ZokioError } from '@zokio/future';
import { E } from './errno.js';

export class Arenas {
  readonly #arenas = new Map<number, Uint8Array>();

  register(id: number, buffer: ArrayBuffer): void {
    this.#arenas.set(id, new Uint8Array(buffer));
  }

  /** Forgets lent arena `id` (`releaseArena`). */
  release(id: number): void {
    if (!this.#arenas.delete(id)) {
      throw new ZokioError('ERR_ZOKIO_NO_ARENA', `Expected a lent arena id, got ${id} (not registered)`);
    }
  }

  /** A view of `length` bytes at `offset` of arena `id`, or undefined when out of bounds or unknown. */
  bytes(id: number, offset: number, length: number): Uint8Array | undefined {
    const arena = this.#arenas.get(id);
    if (arena === undefined || offset + length > arena.byteLength) return undefined;
    return arena.subarray(offset, offset + length);
  }

  /** The UTF-8 path starting at `offset` of arena `id` up to its NUL, or undefined when unterminated. */
  path(id: number, offset: number): string | undefined {
    const arena = this.#arenas.get(id);
    if (arena === undefined || offset >= arena.byteLength) return undefined;
    const end = arena.indexOf(0, offset);
    if (end < 0) return undefined;
    return Buffer.from(arena.buffer, arena.byteOffset + offset, end - offset).toString('utf8');
  }

  /**
   * Resolves an iovec table (`count` entries of u32 arena, u32 offset, u32 length, u32 0) to views of the buffers
   * it names; a negated errno for a bad count or reserved field (`-EINVAL`) or a reference out of bounds (`-EFAULT`).
   */
  iovecs(table: Uint8Array, count: number): Uint8Array[] | number {
    if (count < 1 || count > IOV_MAX) return -E.EINVAL;
    if (table.byteLength < count * IOVEC_ENTRY_BYTES) return -E.EFAULT;
    const v = new DataView(table.buffer, table.byteOffset, table.byteLength);
    const views: Uint8Array[] = [];
    for (let i = 0; i < count; i++) {
      const at = i * IOVEC_ENTRY_BYTES;
      if (v.getUint32(at + 12, true) !== 0) return -E.EINVAL;
      const bytes = this.bytes(v.getUint32(at, true), v.getUint32(at + 4, true), v.getUint32(at + 8, true));
      if (bytes === undefined) return -E.EFAULT;
      views.push(bytes);
    }
    return views;
  }
}
