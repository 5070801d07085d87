// The example of packages/sync/README.md, verbatim: `test/readme.test.ts` checks that it runs.
import { main } from '@zokio/runtime';
import { spawn } from '@zokio/scheduler';
import { fn } from '@zokio/future';
import { mpsc, Mutex } from '@zokio/sync';

await main(function* () {
  const [tx, rx] = mpsc.channel<number>(16);
  const total = new Mutex(0);
  for (let p = 0; p < 3; p++) {
    const producer = tx.clone();
    spawn(
      fn(function* () {
        using _tx = producer; // dropped at the end of the scope: the channel closes when every sender is gone
        for (let i = 0; i < 10; i++) yield* producer.send(i);
      })(),
    );
  }
  tx.close();
  for (let v = yield* rx.recv(); v !== undefined; v = yield* rx.recv()) {
    using guard = yield* total.lock();
    guard.value += v;
  }
  using guard = yield* total.lock();
  console.log(guard.value); // 135
});
