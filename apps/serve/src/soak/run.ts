/**
 * The soak as a command: `pnpm --filter @zokio/serve soak -- [--seconds 600] [--connections 10000]
 * [--driver auto|io_uring|epoll|js] [--server dist|source] [--json]`. Runs `soak.ts`, prints the RSS and fds
 * every 10 s, then the figures on one line (or the whole report as JSON with `--json`), and exits 1 if a rule
 * broke (each printed), 2 on bad arguments or when the soak could not run.
 *
 * `--server dist` (the default) runs the built `dist/main.js`: build first
 * (`pnpm run build --filter=@zokio/serve...`); `--server source` runs `src/main.ts` through tsx.
 *
 * @module
 */
import { parseArgs } from 'node:util';
import type { IoChoice } from '@zokio/io-driver';
import { formatSoak, runSoak, soakFailures } from './soak.js';

function usage(message: string): never {
  process.stderr.write(
    `soak: ${message}\nusage: soak [--seconds 600] [--connections 10000] [--driver auto|io_uring|epoll|js] ` +
      `[--server dist|source] [--json]\n`,
  );
  process.exit(2);
}

let values;
try {
  ({ values } = parseArgs({
    // `pnpm run soak -- --seconds 60` hands the `--` on.
    args: process.argv.slice(2).filter((a, i) => !(i === 0 && a === '--')),
    options: {
      seconds: { type: 'string', default: '600' },
      connections: { type: 'string', default: '10000' },
      driver: { type: 'string' },
      server: { type: 'string', default: 'dist' },
      json: { type: 'boolean', default: false },
    },
  }));
} catch (error) {
  usage((error as Error).message);
}
const seconds = Number(values.seconds);
const connections = Number(values.connections);
if (!Number.isInteger(seconds) || seconds < 1 || seconds > 86_400)
  usage(`Expected --seconds to be an integer from 1 to 86400, got ${values.seconds}`);
if (!Number.isInteger(connections) || connections < 1 || connections > 1_000_000)
  usage(`Expected --connections to be an integer from 1 to 1000000, got ${values.connections}`);
const server = values.server;
if (server !== 'dist' && server !== 'source') usage(`Expected --server to be dist or source, got ${server}`);
const driver = values.driver;
if (driver !== undefined && !['auto', 'io_uring', 'epoll', 'js'].includes(driver))
  usage(`Expected --driver to be auto, io_uring, epoll or js, got ${driver}`);

let report;
try {
  report = await runSoak({
    seconds,
    connections,
    server,
    ...(driver === undefined ? {} : { driver: driver as IoChoice }),
    onSample: (s) => {
      if (Math.round(s.t / 1000) % 10 === 0)
        console.log(`soak: ${(s.t / 1000).toFixed(0)} s: RSS ${(s.rssKiB / 1024).toFixed(1)} MiB, ${s.fds} fds`);
    },
  });
} catch (error) {
  process.stderr.write(`soak: could not run: ${(error as Error).message}\n`);
  process.exit(2);
}
const failures = soakFailures(report);
console.log(values.json ? JSON.stringify({ ...report, failures }) : formatSoak(report));
for (const failure of failures) console.error(`soak: FAIL: ${failure}`);
process.exitCode = failures.length === 0 ? 0 : 1;
