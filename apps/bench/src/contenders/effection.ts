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
 *
 * @module
 */
import { action, run, spawn, useScope, withResolvers, type Operation, type Task, type WithResolvers } from 'effection';
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
  maxSpawnTasks: {
    tasks: 100_000,
    reason: 'each suspended Effection task holds ~10 KB, so a million overflow the 4 GB heap',
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
};

main(contender);
