/**
 * The thread side of the blocking pool (see `blocking-pool.ts` for the protocol), and the wire format both sides
 * share.
 *
 * A blocking thread runs one call at a time: it receives a {@link BlockingRequest}, imports the module (once per
 * thread: the namespace is cached by URL), calls the export with the arguments, awaits the result if it is a
 * promise, and answers with one {@link BlockingReply}. It never decides to exit: the pool terminates it when it has
 * been idle too long, so an exit can never race a call that is already on its way.
 *
 * Structured clone keeps an `Error`'s name, message and stack only for built-in error types, and drops its own
 * properties (`code`) and its `cause`; so a thrown error crosses as an {@link EncodedThrown} the pool turns back into
 * an `Error` ({@link decodeThrown}).
 *
 * @module
 */
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { describeValue, ZokioError } from '@zokio/future';
import { describeThrown, encodeThrown, thrownMessage, type EncodedThrown } from './thrown.js';
import { threadData } from './worker-url.js';
import { isThenable } from './thenable.js';

/** What the pool passes to `startThread`: marks a thread as a blocking-pool thread. @internal */
export interface BlockingThreadData {
  readonly kind: 'zokio-blocking';
  /** The pool-local number of the thread, for error messages. */
  readonly index: number;
}

/** Main → thread: run export `name` of module `url` with `args`. @internal */
export interface BlockingRequest {
  readonly url: string;
  readonly name: string;
  readonly args: readonly unknown[];
}

/** Thread → main: the call's value, or what it threw. @internal */
export type BlockingReply =
  { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly error: EncodedThrown };

/**
 * Runs a blocking-pool thread: answers the pool's requests on `parentPort` until the pool terminates the thread.
 * Called by the thread entry (`entries/blocking-worker.ts`); never by programs.
 *
 * @example
 * ```ts
 * // @no-run: the entry module of BlockingPool's threads; on the main thread it throws ERR_ZOKIO_NOT_A_POOL_THREAD
 * // entries/blocking-worker.ts, the whole file:
 * import { runBlockingWorker } from '@zokio/scheduler';
 * runBlockingWorker();
 * ```
 * @category Blocking
 */
export function runBlockingWorker(): void {
  const data = threadData<BlockingThreadData | undefined>(workerData);
  const port = parentPort;
  if (port === null || data?.kind !== 'zokio-blocking')
    throw new ZokioError(
      'ERR_ZOKIO_NOT_A_POOL_THREAD',
      `runBlockingWorker: Expected to run in a thread started by BlockingPool, got ${port === null ? 'the main thread' : `a thread started with ${describeValue(data)}`}`,
    );
  const modules = new Map<string, Promise<Record<string, unknown>>>();
  port.on('message', (request: BlockingRequest) => void execute(port, modules, request));
}

/** Runs one call and posts its reply. Never rejects. */
async function execute(
  port: MessagePort,
  modules: Map<string, Promise<Record<string, unknown>>>,
  request: BlockingRequest,
): Promise<void> {
  let reply: BlockingReply;
  try {
    const job = await resolveExport(modules, request);
    let value: unknown = job(...request.args);
    if (isThenable(value)) value = await value;
    reply = { ok: true, value };
  } catch (error) {
    reply = { ok: false, error: encodeThrown(error) };
  }
  try {
    port.postMessage(reply);
  } catch (error) {
    // Only a value can fail to clone here (or throw from a getter as it is read): an encoded error is clone-able by
    // construction, and encodeThrown never throws.
    const value = (reply as { value: unknown }).value;
    const failure = new ZokioError(
      'ERR_ZOKIO_JOB_RESULT',
      `${request.name} of ${request.url}: Expected a structured-clone-able result, got ${describeThrown(value)} that cannot be cloned (${thrownMessage(error)})`,
    );
    port.postMessage({ ok: false, error: encodeThrown(failure) } satisfies BlockingReply);
  }
}

/** The function `request.name` of `request.url`, importing the module on first use; throws ERR_ZOKIO_JOB_EXPORT. */
async function resolveExport(
  modules: Map<string, Promise<Record<string, unknown>>>,
  { url, name }: BlockingRequest,
): Promise<(...args: unknown[]) => unknown> {
  let namespace = modules.get(url);
  if (namespace === undefined) {
    namespace = import(url) as Promise<Record<string, unknown>>;
    modules.set(url, namespace);
  }
  let exports: Record<string, unknown>;
  try {
    exports = await namespace;
  } catch (error) {
    // A failed import is not cached: the file may appear, or a transient error pass, before the next call.
    if (modules.get(url) === namespace) modules.delete(url);
    throw new ZokioError(
      'ERR_ZOKIO_JOB_EXPORT',
      `BlockingPool: Expected module ${url} to load, got ${(error as Error)?.name ?? 'an error'}: ${(error as Error)?.message ?? String(error)}`,
      { cause: error },
    );
  }
  const job = Object.hasOwn(exports, name) ? exports[name] : undefined;
  if (typeof job !== 'function')
    throw new ZokioError(
      'ERR_ZOKIO_JOB_EXPORT',
      `BlockingPool: Expected module ${url} to export a function named ${JSON.stringify(name)}, got ${Object.hasOwn(exports, name) ? describeValue(job) : 'no such export'}`,
    );
  return job as (...args: unknown[]) => unknown;
}
