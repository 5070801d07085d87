/**
 * Effection 4 (`effection` on npm): structured concurrency over generators, each scenario one `run()`.
 *
 * - A task is `yield* spawn(op)`, owned by the spawner's scope, joined with `yield* task`. Effection has no
 *   detached spawn: a spawned task is halted when its spawner ends. So in `chained_spawn`, whose links end before
 *   the link they spawn runs, each link is started with `scope.run()` on the root scope (from `useScope()`), the
 *   nearest thing to Tokio's spawn onto the runtime.
 * - A one-shot and the gate are each a `withResolvers()`.
 * - A yield is {@link yieldNow} below: an action that resolves at once. Effection's reducer puts the routine back
 *   at the end of its run queue, so every other ready routine runs first; no timer (`sleep(0)` would be one) and
 *   no promise is involved.
 * - A sleep is Effection's `sleep(ms)`: an action around one Node `setTimeout`.
 * - A bounded channel and a semaphore are the minimal ones in `effection-sync.ts` (Effection has neither).
 *
 * @module
 */
import {
  action,
  run,
  sleep,
  spawn,
  useScope,
  withResolvers,
  type Operation,
  type Task,
  type WithResolvers,
} from 'effection';
import { sleepDurations } from '../scenarios.js';
import { BoundedQueue, Semaphore } from './effection-sync.js';
import { main, type Contender } from './harness.js';

const noCleanup = () => {};

/** The cheapest operation that gives way to the other ready routines. */
const yieldNow: Operation<void> = action<void>((resolve) => {
  resolve();
  return noCleanup;
});

const contender: Contender = {
  name: 'effection',
  // Measured on Node 20: about 10 KB of heap and 150 µs per task, so a million would need ~10 GB and minutes.
  caps: {
    spawn: {
      max: { tasks: 100_000 },
      reason: 'each suspended Effection task holds ~10 KB, so a million overflow the 4 GB heap',
    },
    timers: {
      max: { sleeps: 10_000 },
      reason:
        'starting 100,000 Effection tasks takes ~15 s, longer than the sleeps; ratios are per sleep, and the ' +
        'overshoot is of a 10× lighter load',
    },
  },

  spawn: ({ tasks }, probe) =>
    run(function* () {
      const gate = withResolvers<void>();
      const ready = withResolvers<void>();
      let arrived = 0;
      function* task(): Operation<void> {
        if (++arrived === tasks) ready.resolve();
        yield* gate.operation;
      }
      probe.start();
      const handles: Task<void>[] = [];
      for (let i = 0; i < tasks; i++) handles.push(yield* spawn(task));
      yield* ready.operation;
      probe.suspended(tasks);
      gate.resolve();
      for (const handle of handles) yield* handle;
      probe.stop();
    }),

  yield_many: ({ tasks, yields }, probe) =>
    run(function* () {
      function* task(): Operation<void> {
        for (let i = 0; i < yields; i++) yield* yieldNow;
      }
      probe.start();
      const handles: Task<void>[] = [];
      for (let i = 0; i < tasks; i++) handles.push(yield* spawn(task));
      for (const handle of handles) yield* handle;
      probe.stop();
    }),

  ping_pong: ({ pairs, rounds }, probe) =>
    run(function* () {
      let remaining = 0;
      let done = withResolvers<void>();
      function* pong(rx1: WithResolvers<void>, tx2: WithResolvers<void>): Operation<void> {
        yield* rx1.operation;
        tx2.resolve();
      }
      function* ping(): Operation<void> {
        const one = withResolvers<void>();
        const two = withResolvers<void>();
        yield* spawn(() => pong(one, two));
        one.resolve();
        yield* two.operation;
        if (--remaining === 0) done.resolve();
      }
      probe.start();
      for (let r = 0; r < rounds; r++) {
        remaining = pairs;
        done = withResolvers<void>();
        for (let i = 0; i < pairs; i++) yield* spawn(ping);
        yield* done.operation;
      }
      probe.stop();
    }),

  chained_spawn: ({ depth, rounds }, probe) =>
    run(function* () {
      const scope = yield* useScope();
      function* link(n: number, done: WithResolvers<void>): Operation<void> {
        if (n === 1) done.resolve();
        else scope.run(() => link(n - 1, done));
      }
      probe.start();
      for (let r = 0; r < rounds; r++) {
        const done = withResolvers<void>();
        scope.run(() => link(depth, done));
        yield* done.operation;
      }
      probe.stop();
    }),

  timers: (params, probe) =>
    run(function* () {
      const durations = sleepDurations(params);
      const late = new Float64Array(durations.length);
      function* task(i: number, ms: number): Operation<void> {
        const deadline = performance.now() + ms;
        yield* sleep(ms);
        late[i] = performance.now() - deadline;
      }
      probe.start();
      const handles: Task<void>[] = [];
      for (let i = 0; i < durations.length; i++) handles.push(yield* spawn(() => task(i, durations[i]!)));
      for (const handle of handles) yield* handle;
      probe.stop();
      probe.overshoot(late);
    }),

  channel_ping_pong: ({ messages }, probe) =>
    run(function* () {
      const queue = new BoundedQueue<number>(1);
      function* producer(): Operation<void> {
        for (let i = 0; i < messages; i++) yield* queue.send(i);
      }
      function* consumer(): Operation<void> {
        for (let i = 0; i < messages; i++) yield* queue.recv();
      }
      probe.start();
      const handles = [yield* spawn(producer), yield* spawn(consumer)];
      for (const handle of handles) yield* handle;
      probe.stop();
    }),

  mpsc_contention: ({ producers, perProducer, capacity, rounds }, probe) =>
    run(function* () {
      function* producer(queue: BoundedQueue<number>): Operation<void> {
        for (let i = 0; i < perProducer; i++) yield* queue.send(i);
      }
      probe.start();
      for (let r = 0; r < rounds; r++) {
        const queue = new BoundedQueue<number>(capacity);
        for (let p = 0; p < producers; p++) yield* spawn(() => producer(queue));
        for (let i = 0; i < producers * perProducer; i++) yield* queue.recv();
      }
      probe.stop();
    }),

  semaphore: ({ tasks, permits, iterations }, probe) =>
    run(function* () {
      const semaphore = new Semaphore(permits);
      function* task(): Operation<void> {
        for (let i = 0; i < iterations; i++) {
          yield* semaphore.acquire();
          yield* yieldNow;
          semaphore.release();
        }
      }
      probe.start();
      const handles: Task<void>[] = [];
      for (let i = 0; i < tasks; i++) handles.push(yield* spawn(task));
      for (const handle of handles) yield* handle;
      probe.stop();
    }),
};

main(contender);
