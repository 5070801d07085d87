/**
 * {@link childMain}: the entry point every contender child of the I/O, fs, worker-pool, TCP and HTTP scenarios
 * shares. It reads the command line (or prints the usage and what was wrong, and exits 2), runs the measurement,
 * and prints its one {@link ChildResult} line ({@link report}), or says which run failed and how, and exits 1.
 * {@link contenderOf} picks the contender asked for among those a script holds, or exits 2.
 *
 * @module
 */
import { writeSync } from 'node:fs';
import type { ChildResult } from './protocol.js';

/** What a failure report names: the run that failed. */
export interface ChildRun {
  readonly contender: string;
  readonly scenario: string;
  readonly variant: number | undefined;
}

/** One kind of child: its command line, and what it runs. */
export interface ChildEntry<A extends ChildRun> {
  /** The usage line, printed above what was wrong with a malformed command line. */
  readonly usage: string;
  /** Reads the arguments after the script's name; throws an `Error` saying what was expected and what was got. */
  readonly parse: (argv: readonly string[]) => A;
  /** Runs what `args` ask for; resolves with the line to print. */
  readonly measure: (args: A) => Promise<ChildResult>;
  /**
   * What a failed run prints after `<contender> <scenario> <variant> failed:`: the error's stack (the default), or
   * its message alone.
   */
  readonly failure?: 'stack' | 'message';
}

/** Prints `result` as the one JSON line and exits at once. */
export function report(result: ChildResult): never {
  // writeSync: the line must be out before exit, and stdout to a pipe is asynchronous on some platforms.
  writeSync(1, `${JSON.stringify(result)}\n`);
  process.exit(0);
}

/** Reads this process's command line with `parse`; if that throws, prints `usage` and the message, and exits 2. */
export function parseOrExit<A>(usage: string, parse: (argv: readonly string[]) => A): A {
  try {
    return parse(process.argv.slice(2));
  } catch (error) {
    process.stderr.write(`${usage}\n${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(2);
  }
}

/** The contender called `name` among `contenders`; if there is none, says which there are, and exits 2. */
export function contenderOf<C>(contenders: Readonly<Record<string, () => C>>, name: string): () => C {
  const make = contenders[name];
  if (make === undefined) {
    process.stderr.write(`Expected a contender of ${Object.keys(contenders).join(', ')}, got ${name}\n`);
    process.exit(2);
  }
  return make;
}

/** Runs the child `entry` describes on this process's command line: prints its line and exits 0, or exits 1 or 2. */
export function childMain<A extends ChildRun>(entry: ChildEntry<A>): void {
  const args = parseOrExit(entry.usage, entry.parse);
  Promise.resolve()
    .then(() => entry.measure(args))
    .then(report, (error: unknown) => {
      const why = error instanceof Error ? (entry.failure === 'message' ? error.message : error.stack) : String(error);
      process.stderr.write(`${args.contender} ${args.scenario} ${args.variant ?? ''} failed: ${why}\n`);
      process.exit(1);
    });
}
