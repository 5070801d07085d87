// The example of the repository README, verbatim: `test/readme.test.ts` checks that it runs and what it prints.
import { fn, fromPromise, JoinSet, main, race } from 'zokio';
import { setTimeout as delay } from 'node:timers/promises';

const sleep = (ms: number) => fromPromise((signal) => delay(ms, undefined, { signal }));

const fetchUser = fn(function* (id: number) {
  try {
    yield* sleep(10 * id); // stands in for real I/O
    return { id, name: `user${id}` };
  } finally {
    console.log(`request ${id} finished or was cancelled: its timer is gone either way`);
  }
});

await main(function* () {
  using set = new JoinSet<{ id: number; name: string }>();
  for (let id = 1; id <= 3; id++) set.spawn(fetchUser(id));
  const first = yield* set.joinNext(); // the fastest one
  console.log('first:', first?.ok && first.value.name);
  const outcome = yield* race([fetchUser(100), fromPromise(() => delay(50, 'timed out'))]);
  console.log('race:', outcome); // 'timed out': the slow request was cancelled and cleaned up
}); // leaving the scope aborts the JoinSet's remaining tasks
