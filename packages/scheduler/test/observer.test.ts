/**
 * Task hooks, the poll-time histogram, the slow-poll detector and task dumps, on a real scheduler with tasks that
 * block, sleep and wait on each other.
 */
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, pending, yieldNow } from '@zokio/future';
import { LocalScheduler, POLL_TIME_BUCKETS_US, type SlowPoll, type TaskInfo } from '@zokio/scheduler';

const block = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end);
};

describe('task hooks', () => {
  it('are called on spawn, around every poll and on termination, in order, for every task', async () => {
    const events: string[] = [];
    const log = (what: string) => (task: TaskInfo) => events.push(`${what} ${task.name ?? task.id}`);
    const s = new LocalScheduler({
      hooks: {
        onTaskSpawn: log('spawn'),
        onBeforePoll: log('before'),
        onAfterPoll: log('after'),
        onTaskTerminate: log('end'),
      },
    });
    const h = s.spawn(
      fn(function* () {
        yield* yieldNow();
        return 1;
      })(),
      { name: 'a' },
    );
    await h;
    expect(events).toEqual(['spawn a', 'before a', 'after a', 'before a', 'end a', 'after a']);
  });

  it('N spawns are N spawn hooks and N terminate hooks; a throwing hook is reported and ignored', async () => {
    let spawned = 0;
    let ended = 0;
    const errors: unknown[] = [];
    const original = console.error;
    console.error = (...args: unknown[]) => errors.push(args);
    try {
      const s = new LocalScheduler({
        hooks: {
          onTaskSpawn: () => void spawned++,
          onTaskTerminate: () => void ended++,
          onBeforePoll: () => {
            throw new Error('hook bug');
          },
        },
      });
      const handles = Array.from({ length: 1000 }, (_, i) =>
        s.spawn(
          fn(function* () {
            yield* yieldNow();
            return i;
          })(),
        ),
      );
      const values = await Promise.all(handles);
      expect(values[999]).toBe(999);
      expect(spawned).toBe(1000);
      expect(ended).toBe(1000);
      expect(s.metrics()).toMatchObject({ spawned: 1000, completed: 1000 });
      expect(errors.length).toBe(2000); // every poll's hook threw; every task still ran
    } finally {
      console.error = original;
    }
  });

  it('refuses hooks that are not functions, saying which', () => {
    expect(() => new LocalScheduler({ hooks: { onTaskSpawn: 5 as never } })).toThrow(
      /Expected hooks.onTaskSpawn to be a function, got number 5/,
    );
    expect(() => new LocalScheduler({ slowPollThresholdUs: -1 })).toThrow(
      /Expected slowPollThresholdUs .* got number -1/,
    );
  });
});

describe('poll timing', () => {
  it('the slow-poll detector names the task, its function and what it awaits next; fast polls are not reported', async () => {
    const slow: SlowPoll[] = [];
    const s = new LocalScheduler({ slowPollThresholdUs: 5_000, onSlowPoll: (poll) => slow.push(poll) });
    const hog = fn(function* hog() {
      block(20); // a poll that computes 20 ms without yielding
      yield* fromPromise(() => delay(5));
      return 'done';
    });
    const polite = fn(function* polite() {
      for (let i = 0; i < 100; i++) yield* yieldNow();
    });
    await Promise.all([s.spawn(hog(), { name: 'hogger' }), s.spawn(polite())]);
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({ task: { name: 'hogger' }, fn: 'hog', awaiting: 'PromiseFuture (via hog)' });
    expect(slow[0]!.durationUs).toBeGreaterThanOrEqual(19_000);
    expect(s.metrics().slowPolls).toBe(1);
  });

  it("a task's last poll, slow too, is reported with its name", async () => {
    const slow: SlowPoll[] = [];
    const s = new LocalScheduler({ slowPollThresholdUs: 1_000, onSlowPoll: (poll) => slow.push(poll) });
    await s.spawn(
      fn(function* () {
        block(3);
        yield* yieldNow();
        block(3); // the poll that completes the task
      })(),
      { name: 'handler' },
    );
    expect(slow.map((p) => p.task.name)).toEqual(['handler', 'handler']);
  });

  it('the default report is one warning line on stderr', async () => {
    const lines: string[] = [];
    const original = console.warn;
    console.warn = (line: string) => lines.push(line);
    try {
      const s = new LocalScheduler({ slowPollThresholdUs: 1_000 });
      await s.spawn(
        fn(function* busy() {
          block(5);
          yield* yieldNow();
        })(),
        { name: 'cruncher' },
      );
    } finally {
      console.warn = original;
    }
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^\[zokio\] slow poll: task \d+ \(cruncher\) in busy ran \d+ µs without yielding; it now awaits /,
    );
  });

  it('the histogram counts every poll in its bucket', async () => {
    const s = new LocalScheduler({ pollTimeHistogram: true });
    await s.spawn(
      fn(function* () {
        for (let i = 0; i < 50; i++) yield* yieldNow();
        block(3);
        yield* yieldNow();
      })(),
    );
    const histogram = s.metrics().pollTimeHistogram!;
    expect(histogram.bucketsUs).toEqual(POLL_TIME_BUCKETS_US);
    expect(histogram.counts.reduce((a, b) => a + b, 0)).toBe(s.metrics().polls);
    const overTwoMs = histogram.counts
      .slice(POLL_TIME_BUCKETS_US.findIndex((b) => b >= 2048))
      .reduce((a, b) => a + b, 0);
    expect(overTwoMs).toBe(1); // the one poll that blocked 3 ms
    expect(histogram.sumUs).toBeGreaterThanOrEqual(3_000);
    expect(new LocalScheduler().metrics().pollTimeHistogram).toBeUndefined(); // off unless asked
  });
});

describe('dump', () => {
  it('lists live tasks with name, function, status, age and what each awaits', async () => {
    const s = new LocalScheduler();
    const sleeper = fn(function* sleeper() {
      yield* fromPromise(() => delay(10_000));
    });
    const waiter = fn(function* waiter() {
      yield* pending();
    });
    const a = s.spawn(sleeper(), { name: 'sleepy' });
    const b = s.spawn(waiter());
    const parent = s.spawn(
      fn(function* parent() {
        yield* b;
      })(),
    );
    await delay(30);
    const dump = s.dump();
    expect(dump.map((t) => t.id)).toEqual([parent.id, b.id, a.id]); // newest first
    expect(dump).toEqual([
      expect.objectContaining({ fn: 'parent', status: 'idle', awaiting: 'JoinHandle (via parent)' }),
      expect.objectContaining({ fn: 'waiter', status: 'idle', awaiting: 'Never (via waiter)' }),
      expect.objectContaining({
        name: 'sleepy',
        fn: 'sleeper',
        status: 'idle',
        awaiting: 'PromiseFuture (via sleeper)',
      }),
    ]);
    for (const task of dump) expect(task.ageMs).toBeGreaterThanOrEqual(25);
    a.abort();
    b.abort();
    parent.abort();
    await s.whenIdle();
    expect(s.dump()).toEqual([]);
  });
});
