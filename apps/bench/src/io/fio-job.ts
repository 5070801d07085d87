/**
 * fio as a `driver_read` contender: its command line, and what its JSON output says. Pure, so the test can pin
 * the parsing down; `fio.ts` runs it.
 *
 * @module
 */

/** What one fio job measured. */
export interface FioResult {
  readonly iops: number;
  /** Reads completed. */
  readonly ios: number;
  /** How long the job ran, in ms. */
  readonly runtimeMs: number;
  readonly version: string;
}

/**
 * The arguments of one fio run: 4 KiB random reads of `file` at `depth` in flight, io_uring engine, buffered
 * (`--direct=0`) and leaving the page cache alone (`--invalidate=0`, so fio reads what the runner cached), for
 * `seconds`, JSON on stdout.
 */
export function fioArgs(file: string, depth: number, seconds: number, blockBytes = 4096): string[] {
  return [
    '--name=r',
    `--filename=${file}`,
    '--rw=randread',
    `--bs=${blockBytes}`,
    '--ioengine=io_uring',
    `--iodepth=${depth}`,
    '--direct=0',
    '--invalidate=0',
    // fio takes whole seconds or a unit: milliseconds, so that a quick run can be shorter than a second.
    `--runtime=${Math.max(1, Math.round(seconds * 1000))}ms`,
    '--time_based',
    '--output-format=json',
  ];
}

/**
 * Reads fio's `--output-format=json` output: the first job's read IOPS, reads and runtime. fio may print warnings
 * before the JSON, so it starts at the first `{`. Throws a message saying what was expected and what was got.
 */
export function parseFioOutput(stdout: string): FioResult {
  const start = stdout.indexOf('{');
  if (start < 0) throw new Error(`Expected fio's JSON output, got ${JSON.stringify(stdout.slice(0, 200))}`);
  let value: unknown;
  try {
    value = JSON.parse(stdout.slice(start));
  } catch {
    throw new Error(`Expected fio's JSON output, got ${JSON.stringify(stdout.slice(start, start + 200))}`);
  }
  const root = value as { 'fio version'?: unknown; jobs?: unknown };
  const job = Array.isArray(root.jobs) ? (root.jobs[0] as Record<string, unknown> | undefined) : undefined;
  const read = job?.['read'] as Record<string, unknown> | undefined;
  const [iops, ios, runtimeMs] = [read?.['iops'], read?.['total_ios'], job?.['job_runtime']];
  if (typeof iops !== 'number' || typeof ios !== 'number' || typeof runtimeMs !== 'number' || job?.['error'] !== 0) {
    throw new Error(
      `Expected a fio job with read.iops, read.total_ios, job_runtime and error 0, got ${JSON.stringify(job)?.slice(0, 200)}`,
    );
  }
  return { iops, ios, runtimeMs, version: typeof root['fio version'] === 'string' ? root['fio version'] : 'fio' };
}
