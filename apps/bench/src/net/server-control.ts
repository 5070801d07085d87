/**
 * What the TCP scenarios' server processes share: how they talk to the child that started them (`harness.ts`).
 *
 * A server prints `{"port":N}` on stdout once it listens on 127.0.0.1, then answers each line on stdin with one
 * JSON line: `stats` → its connection counts ({@link ServerStats}); `sample` → the same after two full garbage
 * collections and a short pause, with its memory ({@link ServerSample}). When stdin ends — the bench is done with
 * it, or the bench died — it exits at once, connections and all.
 *
 * @module
 */
import { writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { setTimeout as delay } from 'node:timers/promises';

/** A server's connection counts. */
export interface ServerStats {
  /** Connections accepted so far. */
  readonly accepted: number;
  /** Connections accepted and not yet closed. */
  readonly open: number;
  /** Connections that ended with an error (reset, refused write), and the first such error. */
  readonly errors: number;
  readonly firstError?: string;
  /** What else the server says about itself (zokio: its buffer pool and ops in flight). */
  readonly detail?: string;
}

/** A server's counts and memory, sampled after `gc()` with its connections idle. */
export interface ServerSample extends ServerStats {
  readonly rss: number;
  readonly heapUsed: number;
  readonly external: number;
  readonly arrayBuffers: number;
}

/** The counts a server keeps, changed by its connection handlers. */
export class Counts {
  accepted = 0;
  open = 0;
  errors = 0;
  firstError: string | undefined = undefined;

  /** Counts a connection that ended with `error`, keeping the first one's text. */
  failed(error: unknown): void {
    this.errors++;
    this.firstError ??=
      error instanceof Error ? `${(error as NodeJS.ErrnoException).code ?? ''} ${error.message}` : String(error);
  }

  /** What the server says about itself besides its counts: set once it knows (zokio: once it has its driver). */
  detail: (() => string) | undefined = undefined;

  stats(): ServerStats {
    const detail = this.detail?.();
    return {
      accepted: this.accepted,
      open: this.open,
      errors: this.errors,
      ...(this.firstError === undefined ? {} : { firstError: this.firstError }),
      ...(detail === undefined ? {} : { detail }),
    };
  }
}

function line(value: unknown): void {
  // writeSync: the reader waits for this line; nothing may sit in a stream's buffer.
  writeSync(1, `${JSON.stringify(value)}\n`);
}

async function sample(counts: Counts): Promise<ServerSample> {
  const gc = globalThis.gc;
  if (gc === undefined) throw new Error('Expected the server to run with --expose-gc, got no global.gc');
  void gc();
  void gc();
  // Let the sweeper threads give back what the collections freed, then collect once more.
  await delay(50);
  void gc();
  const m = process.memoryUsage();
  return { ...counts.stats(), rss: m.rss, heapUsed: m.heapUsed, external: m.external, arrayBuffers: m.arrayBuffers };
}

/** Announces `port` and serves the commands on stdin until it ends, then exits the process. */
export function serveCommands(port: number, counts: Counts): void {
  line({ port });
  const input = createInterface({ input: process.stdin });
  let queue = Promise.resolve();
  input.on('line', (command) => {
    queue = queue.then(async () => {
      if (command === 'stats') line(counts.stats());
      else if (command === 'sample') line(await sample(counts));
      else line({ error: `unknown command ${JSON.stringify(command)}` });
    });
  });
  input.on('close', () => process.exit(0));
}

/** Reads `--flag value` from `argv`, or `undefined`. */
export function flag(argv: readonly string[], name: string): string | undefined {
  const i = argv.indexOf(`--${name}`);
  return i < 0 ? undefined : argv[i + 1];
}

/** Reads a positive integer `--flag`, or exits with a message. */
export function integerFlag(argv: readonly string[], name: string): number {
  const text = flag(argv, name);
  const n = Number(text);
  if (text === undefined || !Number.isSafeInteger(n) || n < 1) {
    process.stderr.write(`Expected --${name} to be a positive integer, got ${JSON.stringify(text)}\n`);
    process.exit(2);
  }
  return n;
}

/** Exits with `error` on stderr: a server that cannot serve must not leave the bench waiting. */
export function die(error: unknown): never {
  process.stderr.write(`server failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
}
