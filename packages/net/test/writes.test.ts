/**
 * The write line on every driver: writes from several tasks go out whole and first-polled-first; a write dropped
 * while it waits sends nothing; `shutdown('write')` and `write` take their turn; `writev` is one write; closing
 * the stream fails the writes still waiting.
 */
import { createHash, randomBytes } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { fn, fromPromise, join, race, ready, type Future } from '@zokio/future';
import { spawn, type JoinHandle } from '@zokio/scheduler';
import { IoError, TcpListener, TcpStream } from '@zokio/net';
import { drivers, runtimeOn } from '@zokio/runtime/testing';

function sleep<const T = 'timeout'>(ms: number, value: T = 'timeout' as T): Future<T> {
  return fromPromise((signal) => delay(ms, value, { signal }));
}

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/** A connected pair on loopback, and the listener (closed by the caller's `using`). */
const pair = fn(function* () {
  const listener = yield* TcpListener.bind('127.0.0.1:0');
  const client = yield* TcpStream.connect(listener.localAddr());
  const server = yield* listener.accept();
  return { listener, client, server };
});

/** A frame: task (u16), index (u16), length (u32), then `length` bytes of payload. */
function frame(task: number, index: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt16BE(task, 0);
  head.writeUInt16BE(index, 2);
  head.writeUInt32BE(payload.length, 4);
  return Buffer.concat([head, payload]);
}

describe.each(drivers)('ordered writes on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it('16 tasks writing 8 frames each at once: every frame arrives whole, each task’s in its order', async () => {
    const TASKS = 16;
    const FRAMES = 8;
    const out = await run(
      fn(function* () {
        const { listener, client, server } = yield* pair();
        using _l = listener;
        using c = client;
        using s = server;
        const sent = new Map<string, string>();
        const writers: JoinHandle<void>[] = [];
        for (let t = 0; t < TASKS; t++) {
          writers.push(
            spawn(
              fn(function* () {
                for (let i = 0; i < FRAMES; i++) {
                  // Sizes from 1 byte to ~300 KiB: several sends each for the large ones, so they could interleave.
                  const payload = randomBytes(1 + ((t * 7919 + i * 104729) % 300_000));
                  sent.set(`${t}/${i}`, sha(payload));
                  yield* c.writeAll(frame(t, i, payload));
                }
              })(),
            ),
          );
        }
        const reader = spawn(s.readToEnd());
        for (const w of writers) yield* w;
        yield* c.shutdown();
        return { sent, received: yield* reader };
      })(),
    );
    const seenPerTask = new Map<number, number>();
    let at = 0;
    let frames = 0;
    while (at < out.received.length) {
      const task = out.received.readUInt16BE(at);
      const index = out.received.readUInt16BE(at + 2);
      const length = out.received.readUInt32BE(at + 4);
      const payload = out.received.subarray(at + 8, at + 8 + length);
      expect(sha(payload), `frame ${task}/${index}`).toBe(out.sent.get(`${task}/${index}`));
      expect(index, `task ${task}'s frames in order`).toBe(seenPerTask.get(task) ?? 0);
      seenPerTask.set(task, index + 1);
      at += 8 + length;
      frames++;
    }
    expect(at).toBe(out.received.length);
    expect(frames).toBe(TASKS * FRAMES);
  }, 30_000);

  it('writes go out in the order they were first polled (FIFO), whatever their sizes', async () => {
    const a = randomBytes(3 << 20);
    const b = Buffer.from('b'.repeat(10));
    const c = randomBytes(200_000);
    const out = await run(
      fn(function* () {
        const { listener, client, server } = yield* pair();
        using _l = listener;
        using cl = client;
        using s = server;
        const reader = spawn(s.readToEnd());
        // join polls its futures in order: a holds the line, b and c wait behind it, in that order.
        yield* join(cl.writeAll(a), cl.writeAll(b), cl.writeAll(c));
        yield* join(cl.writeAll(c), cl.write(b), cl.writev([b, a]));
        yield* cl.shutdown();
        return yield* reader;
      })(),
    );
    expect(sha(out)).toBe(sha(Buffer.concat([a, b, c, c, b, b, a])));
  }, 20_000);

  it('a write dropped while it waits for its turn sends nothing, and the line goes on', async () => {
    const a = randomBytes(2 << 20);
    const c = Buffer.from('after');
    const out = await run(
      fn(function* () {
        const { listener, client, server } = yield* pair();
        using _l = listener;
        using cl = client;
        using s = server;
        const reader = spawn(s.readToEnd());
        const [, dropped] = yield* join(
          cl.writeAll(a),
          // Polled once (queued behind a), then dropped by the race: biased, so `ready` wins at once.
          race([cl.writeAll('never sent'), ready('dropped' as const)], { biased: true }),
        );
        // Dropped at the head of the line after it was handed the turn: it hands the turn on.
        yield* join(
          cl.writeAll(a.subarray(0, 1000)),
          race([cl.writeAll('not sent either'), sleep(0, 'dropped' as const)]),
          cl.writeAll(c),
        );
        yield* cl.shutdown();
        return { dropped, received: yield* reader };
      })(),
    );
    expect(out.dropped).toBe('dropped');
    const received = out.received;
    // The second race may have let its write go out whole before its timer fired: either it is all there or none.
    const expectedWith = Buffer.concat([a, a.subarray(0, 1000), Buffer.from('not sent either'), c]);
    const expectedWithout = Buffer.concat([a, a.subarray(0, 1000), c]);
    expect([sha(expectedWith), sha(expectedWithout)]).toContain(sha(received));
    expect(received.includes(Buffer.from('never sent'))).toBe(false);
  }, 20_000);

  it('a write dropped during its turn: the next write follows a prefix of it, never mixed into it', async () => {
    const a = randomBytes(32 << 20); // more than loopback's socket buffers take
    const b = randomBytes(100_000);
    const out = await run(
      fn(function* () {
        const { listener, client, server } = yield* pair();
        using _l = listener;
        using cl = client;
        using s = server;
        // Nobody reads yet: a's sends fill the socket buffers and wait; the timer drops it part-way.
        const first = yield* race([cl.writeAll(a), sleep(30, 'dropped' as const)]);
        const reader = spawn(s.readToEnd());
        yield* cl.writeAll(b);
        yield* cl.shutdown();
        return { first, received: yield* reader };
      })(),
    );
    expect(out.first).toBe('dropped');
    const k = out.received.length - b.length;
    expect(k).toBeGreaterThanOrEqual(0);
    expect(k).toBeLessThan(a.length);
    expect(sha(out.received.subarray(0, k))).toBe(sha(a.subarray(0, k)));
    expect(sha(out.received.subarray(k))).toBe(sha(b));
  }, 20_000);

  it('shutdown("write") waits for the writes polled before it; write() takes its turn too', async () => {
    const a = randomBytes(2 << 20);
    const out = await run(
      fn(function* () {
        const { listener, client, server } = yield* pair();
        using _l = listener;
        using cl = client;
        using s = server;
        const reader = spawn(s.readToEnd());
        const [, n] = yield* join(cl.writeAll(a), cl.write('x'), cl.shutdown());
        return { n, received: yield* reader };
      })(),
    );
    expect(out.n).toBe(1);
    expect(sha(out.received)).toBe(sha(Buffer.concat([a, Buffer.from('x')])));
  }, 20_000);

  it('writev sends many chunks as one write, gathered, between two other writes', async () => {
    const small = Array.from({ length: 500 }, (_, i) => randomBytes(1 + (i % 97)));
    const chunks: (Uint8Array | string)[] = [
      ...small,
      randomBytes(200_000),
      'text',
      new Uint8Array(0),
      new Uint16Array([1, 2, 3]) as unknown as Uint8Array, // any ArrayBufferView goes, as its bytes
    ];
    const bytes = Buffer.concat(
      chunks.map((c) => (typeof c === 'string' ? Buffer.from(c) : Buffer.from(c.buffer, c.byteOffset, c.byteLength))),
    );
    const out = await run(
      fn(function* () {
        const { listener, client, server } = yield* pair();
        using _l = listener;
        using cl = client;
        using s = server;
        const reader = spawn(s.readToEnd());
        yield* join(cl.writeAll('<'), cl.writev(chunks), cl.writeAll('>'), cl.writev([]), cl.writev(['!']));
        yield* cl.shutdown();
        return yield* reader;
      })(),
    );
    expect(sha(out)).toBe(sha(Buffer.concat([Buffer.from('<'), bytes, Buffer.from('>!')])));
  }, 20_000);

  it('closing the stream interrupts the send in flight and fails the writes waiting in line', async () => {
    const { run: runHere } = runtimeOn(driver); // a send may stay in flight until the peer goes
    const out = await runHere(
      fn(function* () {
        const { listener, client, server } = yield* pair();
        using _l = listener;
        // 32 MiB with nobody reading: the first write holds the line, its send waiting for buffer space.
        const holder = spawn(
          fn(function* () {
            try {
              yield* client.writeAll(randomBytes(32 << 20));
              return 'written';
            } catch (error) {
              return error instanceof IoError ? error.code : String(error);
            }
          })(),
        );
        yield* sleep(20); // the holder holds the line, its send waiting for room
        const waiting = spawn(
          fn(function* () {
            try {
              yield* client.writeAll('waiting');
              return 'written';
            } catch (error) {
              return error instanceof IoError ? error.code : String(error);
            }
          })(),
        );
        yield* sleep(30);
        client[Symbol.dispose](); // submitted, not awaited: a backend may close only after the send in flight
        const waited = yield* race([waiting, sleep(2000)]);
        // io_uring and epoll cancel the send in flight: with the peer still reading nothing, it ends because the
        // close interrupted it. The js driver cannot cancel a send (Node's socket flushes what it queued, as the
        // kernel does after close): there it ends when the peer goes.
        if (driver === 'js') server[Symbol.dispose]();
        const held = yield* race([holder, sleep(3000)]);
        server[Symbol.dispose]();
        return { waited, held };
      })(),
    );
    expect(out.waited).toBe('EBADF');
    if (driver === 'js') expect(out.held).not.toBe('timeout');
    // ECANCELED: interrupted; EBADF: its send had just completed and the next one saw the close.
    else expect(out.held).toMatch(/^(ECANCELED|EBADF)$/);
  }, 20_000);
});
