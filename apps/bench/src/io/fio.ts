/**
 * fio (`--ioengine=io_uring`) as a `driver_read` contender: the C reference for what io_uring reads of this file
 * can do on this machine. It runs `fio` (time-based, see `fio-job.ts`) and prints its IOPS as the result; where
 * fio is not installed, or not runnable, the result says it is unavailable and why, and the suite goes on.
 *
 * @module
 */
import { spawnSync } from 'node:child_process';
import { parseOrExit, report } from '../child-main.js';
import { IO_USAGE, parseIoArgs } from './harness.js';
import { fioArgs, parseFioOutput } from './fio-job.js';

const args = parseOrExit(IO_USAGE, parseIoArgs);
const base = { contender: 'fio', scenario: args.scenario, variant: args.variant, n: 0, opsPerSec: 0, elapsedMs: 0 };
if (args.scenario !== 'driver_read') report({ ...base, unavailable: 'fio runs driver_read only' });
const p = args.params.driver_read;
const fio = spawnSync('fio', fioArgs(args.file, args.variant, p.fioSeconds, p.blockBytes), {
  encoding: 'utf8',
  maxBuffer: 16 * 1024 * 1024,
});
const error = fio.error as NodeJS.ErrnoException | undefined;
if (error?.code === 'ENOENT') report({ ...base, unavailable: 'fio is not installed (no `fio` on PATH)' });
if (error !== undefined || fio.status !== 0) {
  const why = error?.message ?? `exit code ${fio.status}: ${fio.stderr.trim().split('\n').slice(-3).join(' ⏎ ')}`;
  report({ ...base, unavailable: `fio could not run: ${why}` });
}
const result = parseFioOutput(fio.stdout);
report({
  ...base,
  n: result.ios,
  opsPerSec: result.iops,
  elapsedMs: result.runtimeMs,
  note: `${result.version}, time-based: ${p.fioSeconds} s per run, its own random offsets`,
});
