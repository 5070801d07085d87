/**
 * The demo the README's main command runs: spawn tasks, sleep on the timer wheel, race, cancel — and watch clean-up
 * run.
 *
 * Run it with `node apps/examples/dist/demo.js` from the repository root after a build, or `pnpm start` here.
 */
import { fn, future, JoinSet, race, Runtime, sleep, spawn } from 'zokio';

const start = performance.now();
const log = (message: string) => console.log(`[${(performance.now() - start).toFixed(0).padStart(4)} ms] ${message}`);

/** A worker that takes `ms` to finish and says so, or says it was cancelled. */
const worker = fn(function* (name: string, ms: number) {
  log(`${name}: started, needs ${ms} ms`);
  try {
    yield* sleep(ms);
    log(`${name}: done`);
    return name;
  } finally {
    // Runs on completion and on cancellation alike; async clean-up is allowed and awaited.
    yield* sleep(5);
    log(`${name}: cleaned up`);
  }
});

const rt = Runtime.builder().flavor('current_thread').unhandledError('log').build();
console.log(rt.describe());
console.log();

const program = future(function* () {
  // 1. Spawn three tasks and await them in order.
  const handles = [spawn(worker('alpha', 30)), spawn(worker('beta', 10)), spawn(worker('gamma', 20))];
  const names: string[] = [];
  for (const handle of handles) names.push(yield* handle);
  log(`joined: ${names.join(', ')}`);

  // 2. Race two workers: the loser is cancelled and its clean-up finishes before race returns.
  const winner = yield* race([worker('tortoise', 200), worker('hare', 15)]);
  log(`race won by ${winner}; the tortoise was cancelled`);

  // 3. Abort a long task; its finally block runs, and awaiting it reports the cancellation.
  const long = spawn(worker('sleeper', 60_000));
  yield* sleep(20);
  long.abort();
  try {
    yield* long;
  } catch (error) {
    log(`sleeper: ${(error as Error).message}`);
  }

  // 4. A JoinSet aborts every member when its scope ends.
  {
    using set = new JoinSet<string>();
    for (const name of ['one', 'two', 'three']) set.spawn(worker(name, 10_000));
    yield* sleep(10);
    log(`leaving the scope of a JoinSet with ${set.size} tasks`);
  }
  yield* sleep(20);
  log('demo finished: nothing left running');
});

await rt.blockOn(program);
const report = await rt.shutdown({ timeout: 1000 });
log(`runtime shut down: ${report.cancelled} tasks cancelled, ${report.abandoned.length} abandoned`);
