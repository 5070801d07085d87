/**
 * Channels, after `tokio::sync`: each kind is a namespace.
 *
 * - {@link mpsc}: many senders, one receiver, a queue (bounded, with FIFO back-pressure, or unbounded).
 * - {@link oneshot}: one value, once.
 * - {@link broadcast}: many senders, many receivers, each receiver sees every message (or learns how many it missed).
 * - {@link watch}: one sender, many receivers, each sees the latest value.
 *
 * JavaScript has no destructors, so dropping a handle is explicit: `close()` / `drop()` or `[Symbol.dispose]`
 * (`using tx = …`). Every future documents whether it is cancel-safe and what is lost if it is dropped.
 *
 * @module
 */
export * as mpsc from './mpsc/index.js';
export * as oneshot from './oneshot/index.js';
export * as broadcast from './broadcast/index.js';
export * as watch from './watch/index.js';
export { SendError, TrySendError, RecvError, TryRecvError, LaggedError } from './errors.js';
