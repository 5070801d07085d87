/**
 * The baseline: plain `async`/`await` and `Promise.all`, what a Node program uses without a runtime.
 *
 * - A task is a call of an `async function`. It runs at once, on the caller's stack, up to its first `await`; there
 *   is no queue to spawn into, so a chain of spawns is a chain of nested calls.
 * - A one-shot is a promise and its `resolve` (Node 20 has no `Promise.withResolvers`).
 * - A yield is `await null`: one microtask hop, which lets every other ready continuation run first. Nothing cheaper
 *   gives way to other tasks, and like a zokio or Effect yield it does not return to libuv.
 * - A sleep is `new Promise((r) => setTimeout(r, ms))`: one Node timer per sleep.
 * - A bounded channel and a semaphore are the minimal ones in `promise-sync.ts` (Node has neither).
 *
 * @module
 */
import { sleepDurations } from '../scenarios.js';
import { main, type Contender } from './harness.js';
import { AsyncQueue, AsyncSemaphore } from './promise-sync.js';

interface Deferred<T> {
  readonly promise: Promise<T>;
  readonly resolve: (value: T) => void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

const contender: Contender = {
  name: 'promise',

  async spawn({ tasks }, probe) {
    const gate = deferred<void>();
    const ready = deferred<void>();
    let arrived = 0;
    async function task(): Promise<void> {
      if (++arrived === tasks) ready.resolve();
      await gate.promise;
    }
    probe.start();
    const handles: Promise<void>[] = [];
    for (let i = 0; i < tasks; i++) handles.push(task());
    await ready.promise;
    probe.suspended(tasks);
    gate.resolve();
    await Promise.all(handles);
    probe.stop();
  },

  async yield_many({ tasks, yields }, probe) {
    async function task(): Promise<void> {
      // eslint-disable-next-line @typescript-eslint/await-thenable -- the yield: one microtask hop is the point
      for (let i = 0; i < yields; i++) await null;
    }
    probe.start();
    const handles: Promise<void>[] = [];
    for (let i = 0; i < tasks; i++) handles.push(task());
    await Promise.all(handles);
    probe.stop();
  },

  async ping_pong({ pairs, rounds }, probe) {
    let remaining = 0;
    let done = deferred<void>();
    async function pong(rx1: Promise<void>, tx2: (value: void) => void): Promise<void> {
      await rx1;
      tx2();
    }
    async function ping(): Promise<void> {
      const one = deferred<void>();
      const two = deferred<void>();
      void pong(one.promise, two.resolve);
      one.resolve();
      await two.promise;
      if (--remaining === 0) done.resolve();
    }
    probe.start();
    for (let r = 0; r < rounds; r++) {
      remaining = pairs;
      done = deferred<void>();
      for (let i = 0; i < pairs; i++) void ping();
      await done.promise;
    }
    probe.stop();
  },

  async chained_spawn({ depth, rounds }, probe) {
    // eslint-disable-next-line @typescript-eslint/require-await -- a task that spawns the next and ends, as in Tokio's
    async function link(n: number, done: (value: void) => void): Promise<void> {
      if (n === 1) done();
      else void link(n - 1, done);
    }
    probe.start();
    for (let r = 0; r < rounds; r++) {
      const done = deferred<void>();
      void link(depth, done.resolve);
      await done.promise;
    }
    probe.stop();
  },

  async timers(params, probe) {
    const durations = sleepDurations(params);
    const late = new Float64Array(durations.length);
    const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
    async function task(i: number, ms: number): Promise<void> {
      const deadline = performance.now() + ms;
      await sleep(ms);
      late[i] = performance.now() - deadline;
    }
    probe.start();
    const handles: Promise<void>[] = [];
    for (let i = 0; i < durations.length; i++) handles.push(task(i, durations[i]!));
    await Promise.all(handles);
    probe.stop();
    probe.overshoot(late);
  },

  async channel_ping_pong({ messages }, probe) {
    const queue = new AsyncQueue<number>(1);
    async function producer(): Promise<void> {
      for (let i = 0; i < messages; i++) await queue.send(i);
    }
    async function consumer(): Promise<void> {
      for (let i = 0; i < messages; i++) await queue.recv();
    }
    probe.start();
    await Promise.all([producer(), consumer()]);
    probe.stop();
  },

  async mpsc_contention({ producers, perProducer, capacity, rounds }, probe) {
    async function producer(queue: AsyncQueue<number>): Promise<void> {
      for (let i = 0; i < perProducer; i++) await queue.send(i);
    }
    probe.start();
    for (let r = 0; r < rounds; r++) {
      const queue = new AsyncQueue<number>(capacity);
      for (let p = 0; p < producers; p++) void producer(queue);
      for (let i = 0; i < producers * perProducer; i++) await queue.recv();
    }
    probe.stop();
  },

  async semaphore({ tasks, permits, iterations }, probe) {
    const semaphore = new AsyncSemaphore(permits);
    async function task(): Promise<void> {
      for (let i = 0; i < iterations; i++) {
        await semaphore.acquire();
        // eslint-disable-next-line @typescript-eslint/await-thenable -- the yield while holding the permit
        await null;
        semaphore.release();
      }
    }
    probe.start();
    const handles: Promise<void>[] = [];
    for (let i = 0; i < tasks; i++) handles.push(task());
    await Promise.all(handles);
    probe.stop();
  },
};

main(contender);
