import { describe, expect, it } from 'vitest';
import { Arena, MAX_ARENA_BYTES } from '@zokio/memory';

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
