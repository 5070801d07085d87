/**
 * Multi-producer, single-consumer channels, after `tokio::sync::mpsc`: {@link channel} (bounded: senders wait, in
 * FIFO order, for a free slot) and {@link unboundedChannel} (`send` never waits).
 *
 * | operation                    | cancel-safe? | what a dropped future loses                                      |
 * | ---------------------------- | ------------ | ---------------------------------------------------------------- |
 * | `Sender.send(v)`             | no           | `v` is not sent; its place in line (a granted slot passes on)    |
 * | `Sender.reserve()`           | yes          | its place in line only (a granted slot passes on)                |
 * | `Sender.closed()`            | yes          | nothing                                                          |
 * | `Receiver.recv()`            | yes          | nothing: a message leaves the queue only when returned           |
 * | `Receiver.recvMany(buf, n)`  | yes          | nothing                                                          |
 *
 * `trySend`, `tryReserve`, `tryRecv`, `Permit.send` and `UnboundedSender.send` are synchronous.
 *
 * @module
 */
export { channel, Sender } from './bounded.js';
export { unboundedChannel, UnboundedSender } from './unbounded.js';
export { Receiver, Receiver as UnboundedReceiver } from './receiver.js';
export { Permit } from './permit.js';
