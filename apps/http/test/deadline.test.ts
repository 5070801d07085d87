import { describe, expect, it } from 'vitest';
import { fn, join, pending } from '@zokio/future';
import { Runtime } from '@zokio/runtime';
import { advance, Instant, sleep } from '@zokio/time';
import { Deadline, TIMED_OUT } from '../src/deadline.js';

const paused = () => Runtime.create({ startPaused: true });

/** When (ms after start, on the paused clock) `deadline.within(pending())` ends, with `steps` re-arming it. */
const endsAt = fn(function* (first: number, steps: ReadonlyArray<readonly [at: number, ms: number]>) {
  const start = Instant.now().ms;
  const deadline = new Deadline();
  deadline.arm(first);
  const [ended] = yield* join(
    fn(function* () {
      const value = yield* deadline.within(pending());
      expect(value).toBe(TIMED_OUT);
      return Instant.now().ms - start;
    })(),
    fn(function* () {
      for (const [at, ms] of steps) {
        yield* sleep(Math.max(0, start + at - Instant.now().ms));
        deadline.arm(ms);
      }
    })(),
  );
  return ended;
});

describe('Deadline', () => {
  it('times out at the armed deadline', async () => {
    expect(await paused().blockOn(endsAt(100, []))).toBe(100);
  });

  it('pushed back lazily, it times out at the latest deadline, not the first', async () => {
    expect(
      await paused().blockOn(
        endsAt(100, [
          [50, 100],
          [120, 100],
        ]),
      ),
    ).toBe(220);
  });

  it('brought forward, it times out at once at the earlier deadline', async () => {
    expect(await paused().blockOn(endsAt(1000, [[10, 30]]))).toBe(40);
  });

  it('a future ready first wins, and the deadline is reusable afterwards', async () => {
    const rt = paused();
    const out = await rt.blockOn(
      fn(function* () {
        const deadline = new Deadline();
        deadline.arm(10);
        const first = yield* deadline.within(sleep(5));
        deadline.arm(10);
        const second = yield* deadline.within(sleep(50));
        yield* advance(0);
        return [first, second];
      })(),
    );
    expect(out).toEqual([undefined, TIMED_OUT]);
  });
});
