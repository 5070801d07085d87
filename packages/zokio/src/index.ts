/**
 * # zokio
 *
 * A Tokio-class asynchronous runtime for TypeScript on Node.js. This meta-package re-exports every layer:
 * `@zokio/future` (futures, generator async functions, combinators), `@zokio/scheduler` (tasks, JoinHandle,
 * JoinSet), `@zokio/time` (sleep, interval, timeout, the test clock), `@zokio/sync` (locks and channels) and
 * `@zokio/runtime` (the Runtime and `main`), `@zokio/memory` and `@zokio/io-driver` (buffers and the I/O driver) and
 * `@zokio/fs` (files) and `@zokio/net` (sockets). Install a single layer to depend on less.
 *
 * @example
 * ```ts
 * import { fn, fromPromise, main, spawn } from 'zokio';
 * import { setTimeout as delay } from 'node:timers/promises';
 *
 * await main(function* () {
 *   const slow = spawn(fn(function* () {
 *     try {
 *       yield* fromPromise((signal) => delay(60_000, undefined, { signal }));
 *     } finally {
 *       console.log('cancelled: the timer is cleared');
 *     }
 *   })());
 *   yield* fromPromise(() => delay(10));
 *   slow.abort();
 * });
 * ```
 *
 * @packageDocumentation
 */
export * from '@zokio/future';
export * from '@zokio/scheduler';
export * from '@zokio/runtime';
export * from '@zokio/time';
export * from '@zokio/sync';
export * from '@zokio/memory';
export * from '@zokio/io-driver';
export * from '@zokio/fs';
export * from '@zokio/net';
