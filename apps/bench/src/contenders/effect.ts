/**
 * Effect 4 (`effect` on npm): fibers, `Deferred` and `Effect.yieldNow`, each scenario one `Effect.runPromise`.
 *
 * - A task is a fiber. Where the scenario joins its tasks, `Effect.forkChild` (supervised by the parent) and
 *   `Fiber.joinAll`. Where Tokio's bench spawns fire-and-forget (`chained_spawn`, whose links end before the link
 *   they spawn runs), `Effect.forkDetach`: a `forkChild` child is interrupted when its parent ends.
 * - A one-shot and the gate are each a `Deferred`.
 * - A yield is `Effect.yieldNow`: the fiber goes back to Effect's scheduler, which runs queued fibers in batches
 *   on `setImmediate`.
 *
 * @module
 */
import { Deferred, Effect, Fiber } from 'effect';
import { main, type Contender } from './harness.js';

const contender: Contender = {
  name: 'effect',

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
};

main(contender);
