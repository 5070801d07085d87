/**
 * zokio's error base. Every error zokio throws on purpose is a {@link ZokioError} with a stable string `code`.
 *
 * `instanceof` works across duplicate installs of a package (two versions of `@zokio/future` in one tree): each class
 * carries a `Symbol.for` brand and answers `instanceof` by the brand, as undici does.
 *
 * @module
 */

const BRAND = Symbol.for('zokio.error');

/**
 * The base of every error zokio throws on purpose.
 *
 * @example
 * ```ts
 * import { ZokioError } from '@zokio/future';
 * const e = new ZokioError('ERR_ZOKIO_EXAMPLE', 'Expected a future, got 42');
 * e instanceof ZokioError; // true
 * e.code; // 'ERR_ZOKIO_EXAMPLE'
 * ```
 * @category Errors
 */
export class ZokioError extends Error {
  /** A stable, documented identifier: match on it, never on the message. */
  readonly code: string;
  /** Brand checked by `instanceof` so it holds across duplicate installs. */
  readonly [BRAND] = true;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }

  override get name(): string {
    return this.constructor.name;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    // Subclasses keep normal prototype checks; the base class accepts any branded error.
    if (this !== ZokioError) return Function.prototype[Symbol.hasInstance].call(this, value);
    return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
  }
}

/**
 * Describes a value for "Expected … got …" messages: `number 42`, `the string "x"`, `an instance of Map`.
 *
 * @example
 * ```ts
 * import { describeValue } from '@zokio/future';
 * describeValue(42); // 'number 42'
 * ```
 * @category Errors
 */
export function describeValue(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  switch (typeof value) {
    case 'undefined':
      return 'undefined';
    case 'string':
      return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
    case 'number':
    case 'bigint':
    case 'boolean':
      return `${typeof value} ${String(value)}`;
    case 'function':
      return `a function${value.name ? ` named ${value.name}` : ''}`;
    case 'symbol':
      return String(value);
    default: {
      const name = value.constructor?.name;
      if (typeof (value as PromiseLike<unknown>).then === 'function')
        return `a ${name ?? 'thenable'} (a Promise, not a Future)`;
      return name && name !== 'Object' ? `an instance of ${name}` : 'an object';
    }
  }
}

/**
 * Throws a `TypeError` saying what was expected and what was got, the shape of every bad-input error in zokio.
 *
 * @example
 * ```ts
 * import { expected } from '@zokio/future';
 * try { expected('a positive integer', -1, 'spawnMany'); } catch (e) { (e as Error).message; } // 'spawnMany: Expected a positive integer, got number -1'
 * ```
 * @category Errors
 */
export function expected(what: string, got: unknown, where?: string): never {
  throw new TypeError(`${where ? where + ': ' : ''}Expected ${what}, got ${describeValue(got)}`);
}

/** Combines the errors of several clean-ups into one: itself when alone, else an `AggregateError`. @internal */
export function combineErrors(first: unknown, next: unknown): unknown {
  if (next === undefined) return first;
  if (first === undefined) return next;
  if (first instanceof AggregateError && (first as { zokioCombined?: true }).zokioCombined) {
    first.errors.push(next);
    return first;
  }
  const combined = new AggregateError([first, next], 'Several clean-ups failed');
  (combined as { zokioCombined?: true }).zokioCombined = true;
  return combined;
}

/**
 * The reason given to an `AbortSignal` (from {@link fromPromise}) when the future awaiting it is cancelled.
 *
 * @example
 * ```ts
 * import { CancelledError } from '@zokio/future';
 * new CancelledError().code; // 'ERR_ZOKIO_CANCELLED'
 * ```
 * @category Errors
 */
export class CancelledError extends ZokioError {
  constructor(message = 'The future was cancelled') {
    super('ERR_ZOKIO_CANCELLED', message);
  }
}

/**
 * The error a future throws when polled after it finished or was cancelled (a bug in the caller), with code
 * `ERR_ZOKIO_POLL_AFTER_COMPLETION`. For implementers of futures.
 *
 * @example
 * ```ts
 * import { polledAfterCompletion } from '@zokio/future';
 * polledAfterCompletion('sleep').code; // 'ERR_ZOKIO_POLL_AFTER_COMPLETION'
 * ```
 * @category Errors
 */
export function polledAfterCompletion(what: string): ZokioError {
  return new ZokioError(
    'ERR_ZOKIO_POLL_AFTER_COMPLETION',
    `Expected a pending ${what}, got one that already completed or was cancelled (a future is polled until it returns a value, then never again)`,
  );
}
