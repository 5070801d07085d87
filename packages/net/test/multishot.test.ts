import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { fn, join, type GeneratorFuture, type Operation } from '@zokio/future';
import { spawn } from '@zokio/scheduler';
import { TcpListener, TcpStream, toDuplex } from '@zokio/net';
import { sleep } from '@zokio/time';
import { HIGH_WATER } from '../src/multishot.js';
import { drivers, runtimeOn } from '@zokio/runtime/testing';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

/**
 * `body` run over one TCP connection on loopback: a listener bound on 127.0.0.1, `server` the end it accepted and
 * `client` the end that connected. Both ends and the listener are `using` declarations here, so they close when the
 * body finishes or fails, client first, then server, then listener. A body may close an end itself or hand it to
 * `toDuplex`: closing twice is a no-op.
 */
const connected = <T>(body: (server: TcpStream, client: TcpStream) => Operation<T>): GeneratorFuture<T> =>
  fn(function* () {
    using listener = yield* TcpListener.bind('127.0.0.1:0');
    const [server, client] = yield* join(listener.accept(), TcpStream.connect(listener.localAddr()));
    using s = server;
    using c = client;
    return yield* body(s, c);
  })();

describe.each(drivers)('the multishot receive on %s', (driver) => {
  const { run } = runtimeOn(driver);

  it('pauses when unread chunks pile up, resumes as they are read, and loses nothing', async () => {
    const payload = randomBytes(8 << 20);
    const out = await run(
      connected(function* (s, c) {
        const [, rest] = yield* join(
          fn(function* () {
            yield* c.writeAll(payload);
            yield* c.shutdown();
          })(),
          fn(function* () {
            const first = yield* s.read(); // arms the receive
            yield* sleep(300); // then read nothing for a while: the receive must pause
            const piled = s.gate.kept.length;
            return { first, piled, bytes: yield* s.readToEnd() };
          })(),
        );
        return rest;
      }),
    );
    expect(out.piled).toBeGreaterThan(0);
    // A few completions may land between the cancel's submission and its effect.
    expect(out.piled).toBeLessThanOrEqual(HIGH_WATER + 16);
    expect(sha(Buffer.concat([out.first, out.bytes]))).toBe(sha(payload));
  }, 20_000);

  it('a stream handed to toDuplex keeps what its receive had and what arrives after', async () => {
    const out = await run(
      connected(function* (server, c) {
        yield* c.writeAll('hello, ');
        const head = yield* server.read(3); // the receive is armed; "lo, " stays kept
        const duplex = toDuplex(server);
        yield* c.writeAll('world');
        yield* c.shutdown();
        const chunks: Buffer[] = [];
        yield* fn(function* () {
          for (;;) {
            const chunk = duplex.read() as Buffer | null;
            if (chunk !== null) chunks.push(chunk);
            else if (duplex.readableEnded) break;
            else yield* sleep(5);
          }
        })();
        duplex.destroy();
        return head.toString() + Buffer.concat(chunks).toString();
      }),
    );
    expect(out).toBe('hello, world');
  });

  it('a read waiting when the stream closes fails with ECANCELED; later reads with EBADF', async () => {
    const out = await run(
      connected(function* (server) {
        const reading = server.read();
        const [result] = yield* join(
          fn(function* () {
            try {
              yield* reading;
              return 'read';
            } catch (error) {
              return (error as { code?: string }).code;
            }
          })(),
          fn(function* () {
            yield* sleep(20);
            yield* server.close();
          })(),
        );
        let later: string | undefined;
        try {
          server.read();
        } catch (error) {
          later = (error as { code?: string }).code;
        }
        return [result, later];
      }),
    );
    expect(out).toEqual(['ECANCELED', 'EBADF']);
  });

  it('reads waiting at once in several tasks (outside the one-reader contract) all finish, each byte once', async () => {
    const out = await run(
      connected(function* (s, c) {
        const readers = [0, 1, 2].map(() => spawn(s.read()));
        yield* sleep(10); // all three wait, each in its own task (its own waker)
        for (const part of ['one;', 'two;', 'three;']) {
          yield* c.writeAll(part);
          yield* sleep(20);
        }
        const chunks: string[] = [];
        for (const reader of readers) chunks.push((yield* reader).toString());
        return chunks.sort();
      }),
    );
    expect(out).toEqual(['one;', 'three;', 'two;']);
  });
});
