/**
 * Socket ops made before `close()` and first polled after it fail with `EBADF` on every driver — they never reach
 * the socket that took the closed one's fd number (a review found a stale `recvFrom` taking another socket's
 * datagram, a stale `sendTo` sending from it, a stale `shutdown('read')` shutting down an unrelated connection).
 */
import { describe, expect, it } from 'vitest';
import { fn, race, type Future } from '@zokio/future';
import { IoError, TcpListener, TcpStream, UdpSocket } from '@zokio/net';
import { drivers, runtimeOn } from '@zokio/runtime/testing';
import { sleep } from '@zokio/time';

/** The code a stale op fails with ('ran' if it did not fail). */
const outcome = fn(function* (op: Future<unknown>) {
  try {
    yield* op;
    return 'ran';
  } catch (error) {
    return error instanceof IoError ? error.code : String(error);
  }
});

describe.each(drivers)('stale socket ops on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it('UDP recvFrom, sendTo and connect made before close() fail with EBADF; the next socket keeps its datagrams', async () => {
    const out = await run(
      fn(function* () {
        using sender = yield* UdpSocket.bind('127.0.0.1:0');
        using other = yield* UdpSocket.bind('127.0.0.1:0');
        const s = yield* UdpSocket.bind('127.0.0.1:0');
        const staleRecv = s.recvFrom();
        const staleSend = s.sendTo('from a closed socket', other.localAddr());
        const staleConnect = s.connect(other.localAddr());
        yield* s.close();
        using t = yield* UdpSocket.bind('127.0.0.1:0'); // most likely the same fd number
        yield* sender.sendTo('for t only', t.localAddr());
        const codes = [yield* outcome(staleRecv), yield* outcome(staleSend), yield* outcome(staleConnect)];
        const tGot = yield* t.recvFrom();
        const strayed = yield* race([other.recvFrom(), sleep(100)]);
        return { codes, tGot: tGot.data.toString(), strayed: strayed === undefined };
      })(),
    );
    expect(out).toEqual({ codes: ['EBADF', 'EBADF', 'EBADF'], tGot: 'for t only', strayed: true });
  });

  it("TCP shutdown('read') made before close() fails with EBADF and leaves the next connection alone", async () => {
    const out = await run(
      fn(function* () {
        using listener = yield* TcpListener.bind('127.0.0.1:0');
        const a = yield* TcpStream.connect(listener.localAddr());
        const aPeer = yield* listener.accept();
        const stale = a.shutdown('read');
        yield* a.close();
        aPeer.close();
        using b = yield* TcpStream.connect(listener.localAddr());
        using bPeer = yield* listener.accept();
        const code = yield* outcome(stale);
        yield* bPeer.writeAll('for b');
        const first = (yield* b.read()).toString();
        const next = yield* race([b.read(), sleep(100)]); // its peer did not end: nothing yet
        return { code, first, next: next === undefined ? 'waiting' : `${next.length} bytes` };
      })(),
    );
    expect(out).toEqual({ code: 'EBADF', first: 'for b', next: 'waiting' });
  });
});
