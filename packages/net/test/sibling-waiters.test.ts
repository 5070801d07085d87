/**
 * Two futures of one task waiting on the same socket (a `join`, a `select`) are two waiters: dropping one leaves
 * the other registered, and it is woken when its connection or data arrives. (A review found them registered by
 * their task's waker, so dropping one unregistered both: the survivor waited for a 2 s watchdog, or forever.)
 */
import { describe, expect, it } from 'vitest';
import { fn, join, race, ready, type Future } from '@zokio/future';
import { TcpListener, TcpStream, UdpSocket, type SocketAddress } from '@zokio/net';
import { drivers, runtimeOn } from '@zokio/runtime/testing';
import { spawn } from '@zokio/scheduler';
import { sleep } from '@zokio/time';

/** Well under the 2 s a survivor waited before the fix. */
const PROMPT_MS = 1_000;

/**
 * `future`'s value if it completes within {@link PROMPT_MS}, else `'late'`. (Not `timeout`: it polls its future
 * first when the time is up, and a survivor polled then would take what had waited for it all along.)
 */
const promptly = <T>(future: Future<T>) =>
  race(
    [
      fn(function* () {
        yield* sleep(PROMPT_MS);
        return 'late' as const;
      })(),
      future,
    ],
    { biased: true },
  );

/** The two addresses are one (both of 127.0.0.1 here: the same port). */
const same = (a: SocketAddress, b: SocketAddress) => 'port' in a && 'port' in b && a.port === b.port;

type Order = 'survivor polled first' | 'dropped one polled first';
const ORDERS: Order[] = ['survivor polled first', 'dropped one polled first'];

/** The two joined, polled in `order`: `[survivor's value, dropped's]`. */
const both = <T, U>(order: Order, survivor: Future<T>, dropped: Future<U>): Future<[T, U]> =>
  order === 'survivor polled first'
    ? join(survivor, dropped)
    : fn(function* () {
        const [d, s] = yield* join(dropped, survivor);
        return [s, d] as [T, U];
      })();

/** `future`, dropped after 10 ms while it waits (then `undefined`). */
const droppedSoon = <T>(future: Future<T>) => race([future, sleep(10)]);

describe.each(drivers)('sibling waiters on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it.each(ORDERS)(
    'accept(): one of two accepts of a task is dropped; the other takes the next connection (%s)',
    async (order) => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          const addr = listener.localAddr();
          const connector = spawn(
            fn(function* () {
              yield* sleep(50);
              return yield* TcpStream.connect(addr);
            })(),
          );
          const survivor = listener.accept();
          const dropped = droppedSoon(listener.accept());
          const got = yield* promptly(both(order, survivor, dropped));
          using client = yield* connector;
          if (got === 'late') return 'late';
          const [stream, gone] = got;
          using s = stream;
          return { gone, peer: same(s.peerAddr(), client.localAddr()), queued: listener.queued };
        })(),
      );
      expect(out).toEqual({ gone: undefined, peer: true, queued: 0 });
    },
  );

  it.each(ORDERS)(
    'TcpStream.read(): one of two reads of a task is dropped; the other gets the bytes that arrive (%s)',
    async (order) => {
      const out = await run(
        fn(function* () {
          using listener = yield* TcpListener.bind('127.0.0.1:0');
          using client = yield* TcpStream.connect(listener.localAddr());
          using server = yield* listener.accept();
          const sender = spawn(
            fn(function* () {
              yield* sleep(50);
              yield* client.writeAll('hello');
            })(),
          );
          const survivor = server.read();
          const dropped = droppedSoon(server.read());
          const got = yield* promptly(both(order, survivor, dropped));
          yield* sender;
          if (got === 'late') return 'late';
          const [bytes, gone] = got;
          return { gone, data: bytes.toString() };
        })(),
      );
      expect(out).toEqual({ gone: undefined, data: 'hello' });
    },
  );

  it('UdpSocket.recvFrom(): waiting on a dropped receive still in flight, a sibling dropped, it still gets the datagram', async () => {
    const out = await run(
      fn(function* () {
        using a = yield* UdpSocket.bind('127.0.0.1:0');
        using b = yield* UdpSocket.bind('127.0.0.1:0');
        // A receive dropped right after its submit: its datagram, when it comes, is kept for the next receive,
        // which waits for it meanwhile.
        expect(yield* race([a.recvFrom(), ready('orphaned')], { biased: true })).toBe('orphaned');
        const sender = spawn(
          fn(function* () {
            yield* sleep(50);
            yield* b.sendTo('hello', a.localAddr());
          })(),
        );
        const survivor = a.recvFrom();
        const dropped = race([a.recvFrom(), ready('dropped')], { biased: true }); // waits once, then is dropped
        const got = yield* promptly(join(survivor, dropped));
        yield* sender;
        if (got === 'late') return 'late';
        const [datagram, gone] = got;
        return {
          gone,
          data: datagram.data.toString(),
          from: same(datagram.from, b.localAddr()),
        };
      })(),
    );
    expect(out).toEqual({ gone: 'dropped', data: 'hello', from: true });
  });
});
