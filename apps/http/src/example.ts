/**
 * The routing example: `node dist/example.js [--port 3000]`.
 *
 * - `GET /` — `Hello, World!`
 * - `GET /hello/:name` — a path parameter
 * - `POST /echo` — the request body back (Content-Length or chunked, at most 1 MiB)
 * - `GET /count?to=N` — a chunked, streamed body of N lines
 * - `GET /healthz` — `ok`
 * - `GET /metrics` — the runtime's metrics in Prometheus' text format (`toPrometheus(rt.metrics())`)
 *
 * SIGINT or SIGTERM shut it down gracefully: in-flight responses finish within 5 s.
 *
 * @module
 */
import { fn } from '@zokio/future';
import { main, toPrometheus, type Runtime } from '@zokio/runtime';
import { HttpServer, Router, type BodySink, type Request } from './index.js';

const portArg = process.argv.indexOf('--port');
const port = portArg < 0 ? 3000 : Number(process.argv[portArg + 1]); // 0: any free port (the line printed says which)

const routes = (rt: Runtime) =>
  new Router()
    .get(
      '/',
      fn(function* () {
        return { headers: { 'content-type': 'text/plain' }, body: 'Hello, World!' };
      }),
    )
    .get(
      '/hello/:name',
      fn(function* (_request: Request, params: Readonly<Record<string, string>>) {
        return { headers: { 'content-type': 'text/plain; charset=utf-8' }, body: `Hello, ${params['name']}!\n` };
      }),
    )
    .post(
      '/echo',
      fn(function* (request: Request) {
        const body = yield* request.body.bytes();
        return { headers: { 'content-type': request.header('content-type') ?? 'application/octet-stream' }, body };
      }),
    )
    .get(
      '/count',
      fn(function* (request: Request) {
        const to = Math.min(Number(request.query.get('to') ?? 10) || 0, 100_000);
        return {
          headers: { 'content-type': 'text/plain' },
          body: {
            write: fn(function* (sink: BodySink) {
              for (let i = 1; i <= to; i++) yield* sink.write(`${i}\n`);
            }),
          },
        };
      }),
    )
    .get(
      '/healthz',
      fn(function* () {
        return { headers: { 'content-type': 'text/plain' }, body: 'ok\n' };
      }),
    )
    .get(
      '/metrics',
      fn(function* () {
        return { headers: { 'content-type': 'text/plain; version=0.0.4' }, body: toPrometheus(rt.metrics()) };
      }),
    );

await main(function* (rt) {
  const server = yield* HttpServer.bind({ host: '127.0.0.1', port }, routes(rt).handler());
  const address = server.address;
  if (address.family !== 'unix') console.log(`listening on http://${address.address}:${address.port}/`);
  const stop = () => server.shutdown(5_000);
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  const report = yield* server.serve();
  console.log(`shut down: ${report.accepted} connections served, ${report.abandoned} abandoned`);
});
