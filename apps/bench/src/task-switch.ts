/**
 * What one await costs at each layer, for the analysis in `packages/scheduler/README.md`: a raw generator resumed
 * through `yield*`, a zokio generator future polled by hand, and a task yielding on the scheduler (with and without
 * the yield to libuv every `eventInterval` polls). Prints ns per await, best of 3 runs of 2,000,000.
 *
 * Run: `node dist/task-switch.js` in `apps/bench` after a build.
 *
 * @module
 */
import { Context, fn, FutureBase, noopWaker, PENDING, yieldNow, type Poll } from '@zokio/future';
import { LocalScheduler } from '@zokio/scheduler';

const N = 2_000_000;

async function best(label: string, run: () => void | Promise<void>): Promise<void> {
  let min = Infinity;
  for (let i = 0; i < 3; i++) {
    const start = performance.now();
    await run();
    min = Math.min(min, performance.now() - start);
  }
  console.log(`${label.padEnd(52)} ${((min * 1e6) / N).toFixed(1)} ns per await`);
}

/** Pending on every other poll: each await suspends the generator once. */
class PendingOnce extends FutureBase<number> {
  #pending = false;
  poll(): Poll<number> {
    this.#pending = !this.#pending;
    return this.#pending ? PENDING : 1;
  }
}

const delegate = {
  flip: false,
  [Symbol.iterator]() {
    return this;
  },
  next(value?: unknown): IteratorResult<unknown, unknown> {
    this.flip = !this.flip;
    return this.flip ? { done: false, value: this } : { done: true, value };
  },
};

await best('raw generator, resumed through yield*', () => {
  const gen = (function* () {
    for (let i = 0; i < N; i++) yield* delegate;
  })();
  while (!gen.next(1).done);
});

const leaf = new PendingOnce();
const cx = Context.detached(noopWaker);
await best('zokio generator future, polled by hand', () => {
  const future = fn(function* () {
    for (let i = 0; i < N; i++) yield* leaf;
  })();
  while (future.poll(cx) === PENDING);
});

for (const eventInterval of [2 ** 30, 61]) {
  const scheduler = new LocalScheduler({ eventInterval });
  await best(`task on the scheduler, yieldNow (eventInterval ${eventInterval === 61 ? 61 : '∞'})`, async () => {
    await scheduler.spawn(
      fn(function* () {
        for (let i = 0; i < N; i++) yield* yieldNow();
      })(),
    );
  });
}
