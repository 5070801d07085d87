import { MessageChannel } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { Arena, BufferPool, isDetached, MAX_ARENA_BYTES } from '@zokio/memory';

/** Transfers `buffer` the two ways a holder can: a copy (Node 20) or a `DataCloneError` (Node 21+) are both fine. */
function tryToTransfer(buffer: ArrayBuffer): void {
  for (const transfer of [
    () => structuredClone(buffer, { transfer: [buffer] }),
    () => {
      const { port1, port2 } = new MessageChannel();
      try {
        port1.postMessage(buffer, [buffer]);
      } finally {
        port1.close();
        port2.close();
      }
    },
  ]) {
    try {
      transfer();
    } catch (error) {
      expect((error as Error).name).toBe('DataCloneError');
    }
  }
}

describe('Arena', () => {
  it('allocates one ArrayBuffer with a stable view over all of it', () => {
    const arena = new Arena(3, 65536);
    expect(arena.id).toBe(3);
    expect(arena.byteLength).toBe(65536);
    expect(arena.buffer).toBeInstanceOf(ArrayBuffer);
    expect(arena.buffer.byteLength).toBe(65536);
    expect(arena.bytes.buffer).toBe(arena.buffer);
    expect(arena.bytes.byteOffset).toBe(0);
    expect(arena.bytes.length).toBe(65536);
    expect(arena.bytes).toBe(arena.bytes);
  });

  it('cannot be detached: a transfer of its buffer copies it (or is refused)', () => {
    const arena = new Arena(0, 65536);
    arena.bytes[1] = 9;
    tryToTransfer(arena.buffer);
    expect(isDetached(arena.bytes)).toBe(false);
    expect(arena.buffer.byteLength).toBe(65536);
    expect(arena.bytes[1]).toBe(9);
  });

  it("cannot be detached through a pooled buffer's bytes.buffer: the pool goes on handing out whole chunks", () => {
    const pool = new BufferPool({ arenaBytes: 4 * 65536, maxBytes: 4 * 65536 });
    const buf = pool.acquire(1000);
    expect(buf.bytes.buffer).toBe(pool.arenas[0]!.buffer);
    buf.bytes[0] = 7;
    tryToTransfer(buf.bytes.buffer as ArrayBuffer);
    expect(isDetached(pool.arenas[0]!.bytes)).toBe(false);
    expect(buf.bytes.length).toBe(1024);
    expect(buf.bytes[0]).toBe(7);
    pool.release(buf);
    const again = pool.acquire(1000);
    again.bytes.set([1, 2, 3]);
    expect(again.bytes.length).toBe(1024);
    expect(pool.acquire(5000).bytes.length).toBe(8192); // carves a new page of the same arena
  });

  it('rejects bad ids and sizes with an Expected … got … TypeError', () => {
    expect(() => new Arena(-1, 65536)).toThrow(
      new TypeError('new Arena: Expected a non-negative integer arena id, got number -1'),
    );
    expect(() => new Arena(1.5, 65536)).toThrow(TypeError);
    for (const size of [0, -1, 1.5, NaN, MAX_ARENA_BYTES + 1]) {
      expect(() => new Arena(0, size)).toThrow(/^new Arena: Expected an arena size from 1 to 1073741824 bytes, got/);
    }
  });
});
