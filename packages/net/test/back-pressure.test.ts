/**
 * A socket read dropped while it waits for a pool buffer (the pool at its cap, `OpFuture` back-pressure) must not
 * wedge the socket: the drop ends as a drop in flight does (`orphaned`), so the read gate does not wait for an orphan
 * that will never complete, and the next read receives.
 */
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { fn } from '@zokio/future';
import type { IoBuf } from '@zokio/memory';
import { UdpSocket } from '@zokio/net';
import { Runtime } from '@zokio/runtime';
import { timeout, TimeoutError } from '@zokio/time';
import { drivers } from '@zokio/runtime/testing';

const CAP = 1 << 20;

describe.each(drivers)('a read dropped while waiting for a pool buffer (%s)', (driver) => {
  it('leaves the socket readable: the next recvFrom gets the next datagram', async () => {
    const rt = Runtime.create({ io: driver, bufferArenaBytes: CAP, bufferPoolMaxBytes: CAP });
    const peer = createSocket('udp4');
    const got = await rt.blockOn(
      fn(function* () {
        const socket = yield* UdpSocket.bind('127.0.0.1:0');
        const port = (socket.localAddr() as { port: number }).port;
        const pool = rt.io!.pool;
        const held: IoBuf[] = [];
        for (;;) {
          try {
            held.push(pool.acquire(65536));
          } catch {
            break;
          }
        }
        let timedOut = false;
        try {
          yield* timeout(50, socket.recvFrom()); // waits in the pool's line, then is dropped
        } catch (error) {
          timedOut = error instanceof TimeoutError;
        }
        expect(timedOut).toBe(true);
        for (const buf of held) pool.release(buf);
        peer.send('after', port, '127.0.0.1');
        const datagram = yield* timeout(2_000, socket.recvFrom()); // hung for ever before the fix
        yield* socket.close();
        return datagram.data.toString();
      })(),
    );
    peer.close();
    expect(got).toBe('after');
    await rt.shutdown();
    expect(rt.io!.pool.stats().inUseBytes).toBe(0);
  });
});
