import { describe, expect, it } from 'vitest';
import { isDetached } from '@zokio/memory';

describe('isDetached', () => {
  it('tells a detached view from a live one, for every kind of ArrayBufferView', () => {
    const bytes = new Uint8Array(8);
    const view = new DataView(bytes.buffer);
    expect([isDetached(bytes), isDetached(view), isDetached(Buffer.alloc(4)), isDetached(new Uint8Array(0))]).toEqual([
      false,
      false,
      false,
      false,
    ]);
    structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
    expect([isDetached(bytes), isDetached(view)]).toEqual([true, true]);
  });

  it('refuses what is not an ArrayBufferView with an Expected … got … TypeError', () => {
    for (const value of [null, undefined, {}, { buffer: new ArrayBuffer(0) }, new ArrayBuffer(8), [1, 2], 'bytes']) {
      expect(() => isDetached(value as never)).toThrow(/^isDetached: Expected an ArrayBufferView, got /);
    }
    expect(() => isDetached(null as never)).toThrow(new TypeError('isDetached: Expected an ArrayBufferView, got null'));
  });
});
