import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RingQueue } from '@zokio/scheduler';

describe('RingQueue', () => {
  it('behaves as a FIFO array under any sequence of push, shift and drain', () => {
    const op = fc.oneof(
      fc.record({ kind: fc.constant('push' as const), count: fc.integer({ min: 1, max: 300 }) }),
      fc.record({ kind: fc.constant('shift' as const), count: fc.integer({ min: 1, max: 300 }) }),
      fc.constant({ kind: 'drain' as const, count: 0 }),
    );
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 64 }), fc.array(op, { maxLength: 60 }), (capacity, ops) => {
        const ring = new RingQueue<number>(capacity);
        const model: number[] = [];
        let next = 0;
        for (const { kind, count } of ops) {
          if (kind === 'push') {
            for (let i = 0; i < count; i++) {
              ring.push(next);
              model.push(next++);
            }
          } else if (kind === 'shift') {
            for (let i = 0; i < count; i++) expect(ring.shift()).toBe(model.shift());
          } else {
            expect(ring.drain()).toEqual(model.splice(0));
          }
          expect(ring.length).toBe(model.length);
          expect(ring.peek()).toBe(model[0]);
        }
      }),
    );
  });

  it('gives back a large buffer once it empties, and keeps working', () => {
    const ring = new RingQueue<number>(4);
    for (let i = 0; i < 10_000; i++) ring.push(i);
    for (let i = 0; i < 10_000; i++) expect(ring.shift()).toBe(i);
    expect(ring.length).toBe(0);
    ring.push(1);
    expect(ring.shift()).toBe(1);
    expect(ring.shift()).toBeUndefined();
  });
});
