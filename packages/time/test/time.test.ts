import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { fn, join, pending, yieldNow, type Future } from '@zokio/future';
import { LocalScheduler, spawn } from '@zokio/scheduler';
import {
  advance,
  Instant,
  interval,
  isPaused,
  pause,
  resume,
  sleep,
  sleepUntil,
  timeout,
  timeoutAt,
  TimeoutError,
  type MissedTickBehavior,
} from '@zokio/time';
import { flavours } from './flavours.js';

describe.each(flavours)('time ($name)', ({ create }) => {
  const paused = () => create({ startPaused: true });

  it('sleep completes after its duration on the paused clock, instantly, by auto-advance', async () => {
    const { scheduler } = paused();
    const t0 = performance.now();
    const elapsed = await scheduler.spawn(
      fn(function* () {
        const start = Instant.now();
        yield* sleep(60_000);
        return Instant.now().since(start);
      })(),
    );
    expect(elapsed).toBe(60_000);
    expect(performance.now() - t0).toBeLessThan(1000);
  });

  it('fires many sleeps in deadline order, each exactly at its deadline', async () => {
    const { scheduler } = paused();
    const order = await scheduler.spawn(
      fn(function* () {
        const start = Instant.now();
        const log: [number, number][] = [];
        const sleeper = fn(function* (ms: number) {
          yield* sleep(ms);
          log.push([ms, Instant.now().since(start)]);
        });
        const delays = [500, 3, 70_000, 64, 65, 4096, 1, 300_000];
        yield* join(...delays.map((ms) => sleeper(ms)));
        return log;
      })(),
    );
    expect(order.map(([ms]) => ms)).toEqual([1, 3, 64, 65, 500, 4096, 70_000, 300_000]);
    for (const [ms, at] of order) expect(at).toBe(ms);
  });

  it('never completes early on the real clock', async () => {
    const { scheduler } = create();
    const waited = await scheduler.spawn(
      fn(function* () {
        const t0 = performance.now();
        yield* sleep(25);
        return performance.now() - t0;
      })(),
    );
    expect(waited).toBeGreaterThanOrEqual(25);
  });

  it('a dropped sleep unfiles its timer and the Node timer is cleared', async () => {
    const { scheduler, time } = create();
    await scheduler.spawn(
      fn(function* () {
        sleep(10_000); // never polled: nothing is registered (futures are lazy)
        expect(time.metrics().pending).toBe(0);
        const raced = sleep(10_000);
        const h = spawn(raced);
        yield* yieldNow();
        expect(time.metrics().pending).toBe(1);
        h.abort();
        yield* yieldNow();
        yield* yieldNow();
      })(),
    );
    expect(time.metrics().pending).toBe(0);
  });

  it('Sleep.reset moves the deadline later (lazily) and earlier', async () => {
    const { scheduler } = paused();
    const result = await scheduler.spawn(
      fn(function* () {
        const start = Instant.now();
        const later = sleep(100);
        const h = spawn(
          fn(function* () {
            yield* later;
            return Instant.now().since(start);
          })(),
        );
        yield* advance(50);
        later.reset(start.add(300));
        const a = yield* h;
        const earlier = sleep(1000);
        const h2 = spawn(
          fn(function* () {
            yield* earlier;
            return Instant.now().since(start);
          })(),
        );
        yield* yieldNow();
        earlier.reset(Instant.now().add(10));
        const b = yield* h2;
        return [a, b];
      })(),
    );
    expect(result).toEqual([300, 310]);
  });

  it('Sleep.reset wakes a task waiting on an infinite deadline, which then sleeps until the new one', async () => {
    const { scheduler } = paused();
    const woke = await scheduler.spawn(
      fn(function* () {
        const start = Instant.now();
        const forever = sleepUntil(new Instant(Infinity));
        const h = spawn(
          fn(function* () {
            yield* forever;
            return Instant.now().since(start);
          })(),
        );
        yield* yieldNow(); // it waits, with no timer filed
        forever.reset(start.add(50)); // a watchdog armed later
        return yield* h;
      })(),
    );
    expect(woke).toBe(50);
  });

  it('a timer further away than setTimeout can count arms the Node timer once, not every millisecond', async () => {
    const { scheduler, time } = create();
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const h = scheduler.spawn(sleep(60 * 86_400_000)); // 60 days: past 2^31 − 1 ms
      await new Promise((r) => setTimeout(r, 50));
      expect(time.metrics().pending).toBe(1);
      expect(time.metrics().nodeTimerArms).toBe(1);
      h.abort();
      await Promise.resolve(h).catch(() => {});
    } finally {
      process.off('warning', onWarning);
    }
    expect(warnings).not.toContain('TimeoutOverflowWarning');
  });

  it('sleepUntil a past instant completes at once', async () => {
    const { scheduler } = paused();
    await scheduler.spawn(
      fn(function* () {
        const past = Instant.now();
        yield* advance(10);
        yield* sleepUntil(past);
      })(),
    );
  });

  it('timeout returns the value when the future wins and leaves no timer behind', async () => {
    const { scheduler, time } = paused();
    expect(
      await scheduler.spawn(
        fn(function* () {
          return yield* timeout(
            100,
            fn(function* () {
              yield* sleep(10);
              return 'in time';
            })(),
          );
        })(),
      ),
    ).toBe('in time');
    expect(time.metrics().pending).toBe(0);
  });

  it('timeout cancels the inner future exactly once and waits for its clean-up before throwing', async () => {
    const { scheduler } = paused();
    const log: string[] = [];
    const error = await scheduler.spawn(
      fn(function* () {
        const start = Instant.now();
        const slow = fn(function* () {
          try {
            yield* sleep(1000);
            log.push('finished (must not happen)');
          } finally {
            log.push(`cleanup start at ${Instant.now().since(start)}`);
            yield* sleep(20);
            log.push(`cleanup end at ${Instant.now().since(start)}`);
          }
        });
        try {
          yield* timeout(100, slow());
        } catch (e) {
          log.push(`caught at ${Instant.now().since(start)}`);
          return e;
        }
      })(),
    );
    expect(error).toBeInstanceOf(TimeoutError);
    expect((error as TimeoutError).code).toBe('ERR_ZOKIO_TIMEOUT');
    expect(log).toEqual(['cleanup start at 100', 'cleanup end at 120', 'caught at 120']);
  });

  it('a timeout whose inner clean-up throws still throws the TimeoutError, with the clean-up error as its cause', async () => {
    const { scheduler } = paused();
    const caught = await scheduler.spawn(
      fn(function* () {
        const throwsOnCancel = fn(function* () {
          try {
            yield* pending();
          } finally {
            throw new Error('clean-up failed');
          }
        });
        const asyncThrows = fn(function* () {
          try {
            yield* pending();
          } finally {
            yield* yieldNow();
            throw new Error('async clean-up failed');
          }
        });
        const out: unknown[] = [];
        for (const f of [throwsOnCancel(), asyncThrows()]) {
          const t = timeout(10, f);
          try {
            yield* t;
          } catch (e) {
            out.push(e);
          }
        }
        return out;
      })(),
    );
    expect(caught).toHaveLength(2);
    for (const [e, message] of [
      [caught[0], 'clean-up failed'],
      [caught[1], 'async clean-up failed'],
    ] as const) {
      expect(e).toBeInstanceOf(TimeoutError);
      expect(((e as TimeoutError).cause as Error).message).toBe(message);
    }
  });

  it('timeoutAt uses an absolute deadline', async () => {
    const { scheduler } = paused();
    const error = await scheduler.spawn(
      fn(function* () {
        try {
          yield* timeoutAt(Instant.now().add(30), pending());
        } catch (e) {
          return e;
        }
      })(),
    );
    expect(error).toBeInstanceOf(TimeoutError);
  });

  const missed: [MissedTickBehavior, number[], number[]][] = [
    ['burst', [0, 100, 200, 300, 400], [0, 350, 350, 350, 400]],
    ['delay', [0, 100, 450, 550, 650], [0, 350, 450, 550, 650]],
    ['skip', [0, 100, 400, 500, 600], [0, 350, 400, 500, 600]],
  ];
  it.each(missed)('interval with missedTickBehavior %s', async (behavior, scheduledAt, completedAt) => {
    const { scheduler } = paused();
    const ticks = await scheduler.spawn(
      fn(function* () {
        const start = Instant.now();
        const every = interval(100, { missedTickBehavior: behavior });
        const out: [number, number][] = [];
        out.push([(yield* every.tick()).since(start), Instant.now().since(start)]);
        yield* advance(350); // the ticks at 100, 200 and 300 are missed
        for (let i = 0; i < 4; i++) out.push([(yield* every.tick()).since(start), Instant.now().since(start)]);
        return out;
      })(),
    );
    expect(ticks.map(([s]) => s)).toEqual(scheduledAt);
    expect(ticks.map(([, c]) => c)).toEqual(completedAt);
  });

  it('auto-advance goes past timers that wake nobody (an interval between ticks)', async () => {
    const { scheduler } = paused();
    const at = await scheduler.spawn(
      fn(function* () {
        const start = Instant.now();
        const every = interval(100);
        yield* every.tick(); // at once; its next tick's timer (100) is filed with nobody waiting on it
        yield* sleep(250);
        return Instant.now().since(start);
      })(),
    );
    expect(at).toBe(250);
  });

  it('catching up missed interval ticks spends coop budget: other tasks run during the burst', async () => {
    const { scheduler } = paused();
    const otherPolls = await scheduler.spawn(
      fn(function* () {
        const every = interval(1, { missedTickBehavior: 'burst' });
        yield* every.tick();
        yield* advance(1_000); // 1,000 ticks overdue, each ready at once
        let polls = 0;
        let running = true;
        spawn(
          fn(function* () {
            while (running) {
              polls++;
              yield* yieldNow();
            }
          })(),
        );
        for (let i = 0; i < 1_000; i++) yield* every.tick();
        running = false;
        return polls;
      })(),
    );
    expect(otherPolls).toBeGreaterThan(0);
  });

  it('advance fires timers in order and lets each woken task run before time moves on', async () => {
    const { scheduler } = paused();
    const seen = await scheduler.spawn(
      fn(function* () {
        const start = Instant.now();
        const log: string[] = [];
        for (const ms of [30, 10, 20]) {
          spawn(
            fn(function* () {
              yield* sleep(ms);
              log.push(`${ms}@${Instant.now().since(start)}`);
            })(),
          );
        }
        yield* yieldNow();
        yield* advance(25);
        log.push(`advanced to ${Instant.now().since(start)}`);
        yield* advance(10);
        return log;
      })(),
    );
    expect(seen).toEqual(['10@10', '20@20', 'advanced to 25', '30@30']);
  });

  it('pause and resume switch the clock; isPaused reports it', async () => {
    const { scheduler } = create();
    await scheduler.spawn(
      fn(function* () {
        expect(isPaused()).toBe(false);
        pause();
        expect(isPaused()).toBe(true);
        const t = Instant.now();
        yield* sleep(5000);
        expect(Instant.now().since(t)).toBe(5000);
        resume();
        expect(isPaused()).toBe(false);
        const t2 = performance.now();
        yield* sleep(5);
        expect(performance.now() - t2).toBeGreaterThanOrEqual(5);
      })(),
    );
  });
});

describe('time errors', () => {
  it('a sleep polled on a runtime without time throws ERR_ZOKIO_TIME_DISABLED', async () => {
    const scheduler = new LocalScheduler();
    await expect(Promise.resolve(scheduler.spawn(sleep(1)))).rejects.toSatisfy(
      (e: { cause: { code: string } }) => e.cause.code === 'ERR_ZOKIO_TIME_DISABLED',
    );
    expect(() => pause()).toThrow(expect.objectContaining({ code: 'ERR_ZOKIO_TIME_DISABLED' }));
  });

  it('rejects bad durations with "Expected … got …"', () => {
    expect(() => sleep(-1)).toThrow(/sleep: Expected a duration in milliseconds ≥ 0, got number -1/);
    expect(() => sleep(Number.NaN)).toThrow(/got number NaN/);
    expect(() => interval(0)).toThrow(/interval: Expected a period in milliseconds > 0, got number 0/);
    expect(() => interval(10, { missedTickBehavior: 'wait' as never })).toThrow(/missedTickBehavior/);
    expect(() => timeout(10, Promise.resolve() as unknown as Future<void>)).toThrow(/timeout: Expected a Future/);
    expect(() => sleepUntil(5 as never)).toThrow(/sleepUntil: Expected an Instant, got number 5/);
  });
});

describe('keep-alive', () => {
  const run = (name: string) =>
    new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile(
        process.execPath,
        [
          '--conditions=@zokio/source',
          '--import',
          'tsx',
          fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url)),
        ],
        { cwd: fileURLToPath(new URL('../../..', import.meta.url)), timeout: 15_000 },
        (error, stdout) => resolve({ code: error ? 1 : 0, stdout }),
      ),
    );

  it('a sleeping task keeps the process up; a dropped sleep lets it exit', async () => {
    const { code, stdout } = await run('sleep-keepalive.ts');
    expect(code).toBe(0);
    expect(stdout).toMatch(/slept \d+ ms/);
    expect(Number(/slept (\d+) ms/.exec(stdout)![1])).toBeGreaterThanOrEqual(200);
    expect(stdout).toContain('exited with no timer left');
  });
});
