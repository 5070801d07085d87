/**
 * Effect 4 (`effect` on npm): fibers, `Deferred` and `Effect.yieldNow`, each scenario one `Effect.runPromise`.
 *
 * - A task is a fiber. Where the scenario joins its tasks, `Effect.forkChild` (supervised by the parent) and
 *   `Fiber.joinAll`. Where Tokio's bench spawns fire-and-forget (`chained_spawn`, whose links end before the link
 *   they spawn runs), `Effect.forkDetach`: a `forkChild` child is interrupted when its parent ends.
 * - A one-shot and the gate are each a `Deferred`.
 * - A yield is `Effect.yieldNow`: the fiber goes back to Effect's scheduler, which runs queued fibers in batches
 *   on `setImmediate`.
 * - A sleep is `Effect.sleep(ms)`; a bounded channel is `Queue.bounded(n)` with `Queue.offer`/`Queue.take`; a
 *   semaphore is `Semaphore.make(n)` with `withPermits(1)` (Effect 3's `Effect.makeSemaphore`, moved in Effect 4).
 *
 * @module
 */
import { Deferred, Effect, Fiber, Queue, Semaphore } from 'effect';
import { sleepDurations } from '../scenarios.js';
import { main, type Contender } from './harness.js';

const contender: Contender = {
  name: 'effect',
  caps: {
    semaphore: {
      max: { iterations: 50 },
      reason:
        "Effect's semaphore serves ~40 k acquisitions/s with 1,000 fibers waiting, so 500,000 would take 12 s a " +
        'round; the same 1,000 fibers contend, each for fewer iterations',
    },
  },

  spawn: ({ tasks }, probe) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const gate = yield* Deferred.make<void>();
        const ready = yield* Deferred.make<void>();
        let arrived = 0;
        const task = Effect.gen(function* () {
          if (++arrived === tasks) yield* Deferred.succeed(ready, undefined);
          yield* Deferred.await(gate);
        });
        probe.start();
        const fibers: Fiber.Fiber<void>[] = [];
        for (let i = 0; i < tasks; i++) fibers.push(yield* Effect.forkChild(task));
        yield* Deferred.await(ready);
        probe.suspended(tasks);
        yield* Deferred.succeed(gate, undefined);
        yield* Fiber.joinAll(fibers);
        probe.stop();
      }),
    ),

  yield_many: ({ tasks, yields }, probe) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const task = Effect.gen(function* () {
          for (let i = 0; i < yields; i++) yield* Effect.yieldNow;
        });
        probe.start();
        const fibers: Fiber.Fiber<void>[] = [];
        for (let i = 0; i < tasks; i++) fibers.push(yield* Effect.forkChild(task));
        yield* Fiber.joinAll(fibers);
        probe.stop();
      }),
    ),

  ping_pong: ({ pairs, rounds }, probe) =>
    Effect.runPromise(
      Effect.gen(function* () {
        let remaining = 0;
        let done = yield* Deferred.make<void>();
        const pong = (rx1: Deferred.Deferred<void>, tx2: Deferred.Deferred<void>) =>
          Effect.gen(function* () {
            yield* Deferred.await(rx1);
            yield* Deferred.succeed(tx2, undefined);
          });
        const ping = Effect.gen(function* () {
          const one = yield* Deferred.make<void>();
          const two = yield* Deferred.make<void>();
          yield* Effect.forkChild(pong(one, two));
          yield* Deferred.succeed(one, undefined);
          yield* Deferred.await(two);
          if (--remaining === 0) yield* Deferred.succeed(done, undefined);
        });
        probe.start();
        for (let r = 0; r < rounds; r++) {
          remaining = pairs;
          done = yield* Deferred.make<void>();
          for (let i = 0; i < pairs; i++) yield* Effect.forkChild(ping);
          yield* Deferred.await(done);
        }
        probe.stop();
      }),
    ),

  chained_spawn: ({ depth, rounds }, probe) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const link = (n: number, done: Deferred.Deferred<void>): Effect.Effect<void> =>
          Effect.gen(function* () {
            if (n === 1) yield* Deferred.succeed(done, undefined);
            else yield* Effect.forkDetach(link(n - 1, done));
          });
        probe.start();
        for (let r = 0; r < rounds; r++) {
          const done = yield* Deferred.make<void>();
          yield* Effect.forkDetach(link(depth, done));
          yield* Deferred.await(done);
        }
        probe.stop();
      }),
    ),

  timers: (params, probe) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const durations = sleepDurations(params);
        const late = new Float64Array(durations.length);
        const task = (i: number, ms: number) =>
          Effect.gen(function* () {
            const deadline = performance.now() + ms;
            yield* Effect.sleep(ms);
            late[i] = performance.now() - deadline;
          });
        probe.start();
        const fibers: Fiber.Fiber<void>[] = [];
        for (let i = 0; i < durations.length; i++) fibers.push(yield* Effect.forkChild(task(i, durations[i]!)));
        yield* Fiber.joinAll(fibers);
        probe.stop();
        probe.overshoot(late);
      }),
    ),

  channel_ping_pong: ({ messages }, probe) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const queue = yield* Queue.bounded<number>(1);
        const producer = Effect.gen(function* () {
          for (let i = 0; i < messages; i++) yield* Queue.offer(queue, i);
        });
        const consumer = Effect.gen(function* () {
          for (let i = 0; i < messages; i++) yield* Queue.take(queue);
        });
        probe.start();
        const fibers = [yield* Effect.forkChild(producer), yield* Effect.forkChild(consumer)];
        yield* Fiber.joinAll(fibers);
        probe.stop();
      }),
    ),

  mpsc_contention: ({ producers, perProducer, capacity, rounds }, probe) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const producer = (queue: Queue.Queue<number>) =>
          Effect.gen(function* () {
            for (let i = 0; i < perProducer; i++) yield* Queue.offer(queue, i);
          });
        probe.start();
        for (let r = 0; r < rounds; r++) {
          const queue = yield* Queue.bounded<number>(capacity);
          for (let p = 0; p < producers; p++) yield* Effect.forkChild(producer(queue));
          for (let i = 0; i < producers * perProducer; i++) yield* Queue.take(queue);
        }
        probe.stop();
      }),
    ),

  semaphore: ({ tasks, permits, iterations }, probe) =>
    Effect.runPromise(
      Effect.gen(function* () {
        const semaphore = yield* Semaphore.make(permits);
        const critical = semaphore.withPermits(1)(Effect.yieldNow);
        const task = Effect.gen(function* () {
          for (let i = 0; i < iterations; i++) yield* critical;
        });
        probe.start();
        const fibers: Fiber.Fiber<void>[] = [];
        for (let i = 0; i < tasks; i++) fibers.push(yield* Effect.forkChild(task));
        yield* Fiber.joinAll(fibers);
        probe.stop();
      }),
    ),
};

main(contender);
