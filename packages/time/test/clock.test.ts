import { describe, expect, it } from 'vitest';
import { Clock } from '../src/clock.js';

describe('Clock', () => {
  it("ticks on libuv's milliseconds: a Node timer due in n ms runs at or after the clock's next n whole ms", async () => {
    const clock = new Clock(false);
    // Without the grid, a phase between the two clocks makes most of these fire up to 1 ms before the tick.
    for (let i = 0; i < 40; i++) {
      const delay = 1 + (i % 3);
      const tick = Math.floor(clock.now());
      const firedAt = await new Promise<number>((resolve) => setTimeout(() => resolve(clock.now()), delay));
      expect(Math.floor(firedAt)).toBeGreaterThanOrEqual(tick + delay);
    }
  });

  it('stands on a whole millisecond when paused, and resumes on the grid without going back', () => {
    const clock = new Clock(true);
    const frozen = clock.now();
    expect(Number.isInteger(frozen)).toBe(true);
    clock.advanceTo(frozen + 10);
    clock.resume();
    const resumed = clock.now();
    expect(resumed).toBeGreaterThanOrEqual(frozen + 10);
    expect(resumed).toBeLessThan(frozen + 12);
    const real = new Clock(false);
    // The same phase: both clocks' whole milliseconds start at the same instants.
    const apart = real.now() - clock.now();
    expect(Math.abs(apart - Math.round(apart))).toBeLessThan(0.01);
  });
});
