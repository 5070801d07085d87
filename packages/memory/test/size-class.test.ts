import { describe, expect, it } from 'vitest';
import { MAX_BUFFER_BYTES, MIN_BUFFER_BYTES, SIZE_CLASS_COUNT, sizeClassBytes, sizeClassOf } from '@zokio/memory';

describe('size classes', () => {
  it('run in powers of two from 256 B to 64 KiB', () => {
    expect(MIN_BUFFER_BYTES).toBe(256);
    expect(MAX_BUFFER_BYTES).toBe(65536);
    expect(SIZE_CLASS_COUNT).toBe(9);
    expect(Array.from({ length: SIZE_CLASS_COUNT }, (_, c) => sizeClassBytes(c))).toEqual([
      256, 512, 1024, 2048, 4096, 8192, 16384, 32768, 65536,
    ]);
  });

  it('put every size in the smallest class that holds it', () => {
    const wrong: number[] = [];
    for (let size = 1; size <= MAX_BUFFER_BYTES; size++) {
      const c = sizeClassOf(size);
      const holds = Number.isInteger(c) && c >= 0 && c < SIZE_CLASS_COUNT && sizeClassBytes(c) >= size;
      const smallest = c === 0 || sizeClassBytes(c - 1) < size;
      if (!holds || !smallest) wrong.push(size);
    }
    expect(wrong).toEqual([]);
  });

  it('map the boundaries exactly', () => {
    expect([1, 256, 257, 512, 513, 4096, 4097, 32769, 65536].map(sizeClassOf)).toEqual([0, 0, 1, 1, 2, 4, 5, 8, 8]);
  });
});
