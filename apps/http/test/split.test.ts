/**
 * The connection's framing against arbitrary delivery: the same pipelined requests, cut into random pieces and
 * sent with pauses between them, get the same responses in the same order — whatever the pieces, on every driver.
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { fn } from '@zokio/future';
import { Router, type Request } from '../src/index.js';
import { drivers, rawConnection, startServer, statuses } from './harness.js';

const router = new Router()
  .get(
    '/id/:id',
    fn(function* (_r: Request, p: Readonly<Record<string, string>>) {
      return { body: `id=${p['id']};` };
    }),
  )
  .post(
    '/echo',
    fn(function* (r: Request) {
      return { body: Buffer.concat([Buffer.from('echo='), yield* r.body.bytes(), Buffer.from(';')]) };
    }),
  );

/** A request of one of three kinds: a GET, a POST with Content-Length, a POST chunked. */
const request = fc.oneof(
  fc.nat({ max: 999 }).map((id) => ({ wire: `GET /id/${id} HTTP/1.1\r\nHost: t\r\n\r\n`, want: `id=${id};` })),
  fc.stringMatching(/^[a-zA-Z0-9 .,:!?-]{0,40}$/).map((text) => {
    const body = Buffer.from(text);
    return {
      wire: `POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: ${body.length}\r\n\r\n${body.toString('latin1')}`,
      want: `echo=${body.toString('latin1')};`,
    };
  }),
  fc.array(fc.stringMatching(/^[a-zA-Z0-9 .,:!?-]{1,10}$/), { maxLength: 4 }).map((parts) => {
    const chunks = parts.map((p) => Buffer.from(p));
    const wire = chunks.map((c) => `${c.length.toString(16)}\r\n${c.toString('latin1')}\r\n`).join('');
    return {
      wire: `POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n${wire}0\r\n\r\n`,
      want: `echo=${Buffer.concat(chunks).toString('latin1')};`,
    };
  }),
);

describe.each(drivers)('pipelined requests cut anywhere, on %s', (driver) => {
  it('get the same responses, in order', async () => {
    const s = await startServer(driver, router.handler());
    try {
      await fc.assert(
        fc.asyncProperty(
          fc.array(request, { minLength: 1, maxLength: 6 }),
          fc.array(fc.integer({ min: 1, max: 64 }), { minLength: 1, maxLength: 20 }),
          async (requests, cuts) => {
            const wire = Buffer.from(
              requests.map((r) => r.wire).join('') + 'GET /id/0 HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n',
              'latin1',
            );
            const c = await rawConnection(s.port);
            for (let at = 0, i = 0; at < wire.length; i++) {
              const n = cuts[i % cuts.length]!;
              c.socket.write(wire.subarray(at, at + n));
              at += n;
              if (i % 3 === 0) await new Promise((r) => setImmediate(r));
            }
            await c.ended;
            const text = c.received();
            expect(statuses(text)).toEqual(Array.from({ length: requests.length + 1 }, () => 200));
            const bodies = [...text.matchAll(/\r\n\r\n((?:id|echo)=[^;]*;)/g)].map((m) => m[1]);
            expect(bodies).toEqual([...requests.map((r) => r.want), 'id=0;']);
          },
        ),
        { numRuns: 60 },
      );
    } finally {
      await s.stop();
    }
  }, 60_000);
});
