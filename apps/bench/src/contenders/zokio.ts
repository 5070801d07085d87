/**
 * zokio: generator async functions (`fn`), `spawn` and `yield* handle`, on the in-isolate scheduler.
 *
 * - A task is `spawn(future)`: queued on the scheduler that runs the caller (LIFO slot first), polled once the
 *   caller yields.
 * - One-shots and the gate are the leaf futures in `zokio-sync.ts` (zokio has no `sync` module yet).
 * - A yield is `yield* yieldNow()`: the task wakes itself and goes to the back of the run queue.
 * - A sleep is `yield* sleep(ms)` from `@zokio/time`, on the runtime's real clock: every sleep is an entry in one
 *   timer wheel, driven by a single Node timer.
 * - A bounded channel is `mpsc.channel(n)` and a semaphore `new Semaphore(n)`, from `@zokio/sync`.
 *
 * @module
 */
import { fn, yieldNow, type Future } from '@zokio/future';
import { Runtime } from '@zokio/runtime';
import { spawn, type JoinHandle } from '@zokio/scheduler';
import { mpsc, Semaphore } from '@zokio/sync';
import { sleep } from '@zokio/time';
import { sleepDurations } from '../scenarios.js';
import { main, type Contender } from './harness.js';
import { Gate, Oneshot } from './zokio-sync.js';

// The default runtime (current_thread, eventInterval 61), as a program gets from `Runtime.create()`. `ZOKIO_*`
// environment variables override it; the runner records any that are set.
const rt = Runtime.create();
const blockOn = <T>(root: Future<T>): Promise<T> => rt.blockOn(root);

const contender: Contender = {
  name: 'zokio',

  spawn: ({ tasks }, probe) =>
    blockOn(
      fn(function* () {
        const gate = new Gate();
        const ready = new Oneshot<void>();
        let arrived = 0;
        const task = fn(function* () {
          if (++arrived === tasks) ready.send();
          yield* gate;
        });
        probe.start();
        const handles: JoinHandle<void>[] = [];
        for (let i = 0; i < tasks; i++) handles.push(spawn(task()));
        yield* ready;
        probe.suspended(tasks);
        gate.open();
        for (const handle of handles) yield* handle;
        probe.stop();
      })(),
    ),

  yield_many: ({ tasks, yields }, probe) =>
    blockOn(
      fn(function* () {
        const task = fn(function* () {
          for (let i = 0; i < yields; i++) yield* yieldNow();
        });
        probe.start();
        const handles: JoinHandle<void>[] = [];
        for (let i = 0; i < tasks; i++) handles.push(spawn(task()));
        for (const handle of handles) yield* handle;
        probe.stop();
      })(),
    ),

  ping_pong: ({ pairs, rounds }, probe) =>
    blockOn(
      fn(function* () {
        let remaining = 0;
        let done = new Oneshot<void>();
        const pong = fn(function* (rx1: Oneshot<void>, tx2: Oneshot<void>) {
          yield* rx1;
          tx2.send();
        });
        const ping = fn(function* () {
          const one = new Oneshot<void>();
          const two = new Oneshot<void>();
          spawn(pong(one, two));
          one.send();
          yield* two;
          if (--remaining === 0) done.send();
        });
        probe.start();
        for (let r = 0; r < rounds; r++) {
          remaining = pairs;
          done = new Oneshot<void>();
          for (let i = 0; i < pairs; i++) spawn(ping());
          yield* done;
        }
        probe.stop();
      })(),
    ),

  chained_spawn: ({ depth, rounds }, probe) =>
    blockOn(
      fn(function* () {
        const link: (n: number, done: Oneshot<void>) => Future<void> = fn(function* (n: number, done: Oneshot<void>) {
          if (n === 1) done.send();
          else spawn(link(n - 1, done));
        });
        probe.start();
        for (let r = 0; r < rounds; r++) {
          const done = new Oneshot<void>();
          spawn(link(depth, done));
          yield* done;
        }
        probe.stop();
      })(),
    ),

  timers: (params, probe) =>
    blockOn(
      fn(function* () {
        const durations = sleepDurations(params);
        const late = new Float64Array(durations.length);
        const task = fn(function* (i: number, ms: number) {
          const deadline = performance.now() + ms;
          yield* sleep(ms);
          late[i] = performance.now() - deadline;
        });
        probe.start();
        const handles: JoinHandle<void>[] = [];
        for (let i = 0; i < durations.length; i++) handles.push(spawn(task(i, durations[i]!)));
        for (const handle of handles) yield* handle;
        probe.stop();
        probe.overshoot(late);
      })(),
    ),

  channel_ping_pong: ({ messages }, probe) =>
    blockOn(
      fn(function* () {
        const [tx, rx] = mpsc.channel<number>(1);
        const producer = fn(function* () {
          for (let i = 0; i < messages; i++) yield* tx.send(i);
          tx.close();
        });
        const consumer = fn(function* () {
          for (let i = 0; i < messages; i++) yield* rx.recv();
        });
        probe.start();
        const handles = [spawn(producer()), spawn(consumer())];
        for (const handle of handles) yield* handle;
        probe.stop();
      })(),
    ),

  mpsc_contention: ({ producers, perProducer, capacity, rounds }, probe) =>
    blockOn(
      fn(function* () {
        const producer = fn(function* (tx: mpsc.Sender<number>) {
          for (let i = 0; i < perProducer; i++) yield* tx.send(i);
          tx.close();
        });
        probe.start();
        for (let r = 0; r < rounds; r++) {
          const [tx, rx] = mpsc.channel<number>(capacity);
          for (let p = 0; p < producers; p++) spawn(producer(tx.clone()));
          tx.close();
          for (let i = 0; i < producers * perProducer; i++) yield* rx.recv();
        }
        probe.stop();
      })(),
    ),

  semaphore: ({ tasks, permits, iterations }, probe) =>
    blockOn(
      fn(function* () {
        const semaphore = new Semaphore(permits);
        const task = fn(function* () {
          for (let i = 0; i < iterations; i++) {
            const permit = yield* semaphore.acquire();
            yield* yieldNow();
            permit.release();
          }
        });
        probe.start();
        const handles: JoinHandle<void>[] = [];
        for (let i = 0; i < tasks; i++) handles.push(spawn(task()));
        for (const handle of handles) yield* handle;
        probe.stop();
      })(),
    ),
};

main(contender);
