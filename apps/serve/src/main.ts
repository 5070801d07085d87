/**
 * The static file server as a command: `zokio-serve [--root DIR] [--host 127.0.0.1] [--port 8080] [--quiet]
 * [--grace-ms 5000]`. The README's main job runs it on the built docs site.
 *
 * SIGINT or SIGTERM: stop accepting, let in-flight responses finish within `--grace-ms`, print what was served,
 * exit 0. A second signal exits at once.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import { HttpServer } from '@zokio/http';
import { main } from '@zokio/runtime';
import { AccessLog } from './access-log.js';
import { staticFiles } from './static-files.js';

function fail(message: string): never {
  process.stderr.write(`zokio-serve: ${message}\n`);
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    options: {
      root: { type: 'string', default: 'docs/site' },
      host: { type: 'string', default: '127.0.0.1' },
      port: { type: 'string', default: '8080' },
      quiet: { type: 'boolean', default: false },
      'grace-ms': { type: 'string', default: '5000' },
    },
  }));
} catch (error) {
  fail((error as Error).message);
}
const port = /^\d+$/.test(values.port) ? Number(values.port) : NaN;
if (!Number.isInteger(port) || port < 0 || port > 65535) fail(`Expected --port to be 0–65535, got ${values.port}`);
const graceMs = Number(values['grace-ms']);
if (!Number.isFinite(graceMs) || graceMs < 0) fail(`Expected --grace-ms to be a number ≥ 0, got ${values['grace-ms']}`);

const log = new AccessLog(process.stdout);

await main(function* () {
  let handler;
  try {
    handler = yield* staticFiles(values.root);
  } catch (error) {
    fail(
      `Expected --root ${values.root} to be a directory (build the docs site with \`pnpm run docs\`): ${(error as Error).message}`,
    );
  }
  let server;
  try {
    server = yield* HttpServer.bind(
      { host: values.host, port },
      handler,
      values.quiet ? {} : { onResponse: log.record },
    );
  } catch (error) {
    fail(`Expected to listen on ${values.host}:${port}: ${(error as Error).message}`);
  }
  const address = server.address;
  const where =
    address.family === 'unix'
      ? address.path
      : `http://${address.family === 'ipv6' ? `[${address.address}]` : address.address}:${address.port}/`;
  console.log(`zokio-serve: serving ${values.root} at ${where} (Ctrl-C to stop)`);
  const force = () => process.exit(130);
  const stop = (signal: NodeJS.Signals) => {
    console.log(`zokio-serve: ${signal}: finishing in-flight requests (up to ${graceMs} ms)`);
    server.shutdown(graceMs);
    process.once('SIGINT', force).once('SIGTERM', force); // a second signal: exit at once
  };
  process.once('SIGINT', stop).once('SIGTERM', stop);
  const report = yield* server.serve();
  // Stopped cleanly: a late duplicate signal must not turn the exit into 130.
  for (const signal of ['SIGINT', 'SIGTERM'] as const) process.off(signal, stop).off(signal, force);
  process.once('SIGINT', () => undefined).once('SIGTERM', () => undefined);
  log.flush();
  console.log(
    `zokio-serve: stopped after ${report.accepted} connections; ${report.abandoned} abandoned at the deadline`,
  );
});
