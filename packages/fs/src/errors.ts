/**
 * The errors of `@zokio/fs`. Two kinds, both {@link ZokioError}s with a stable `code`:
 *
 * - **What the system refused** is an {@link IoError} with Node's shape — `code` (`'ENOENT'`), negative `errno`,
 *   `syscall` and `path` — whether io_uring, epoll's pool or Node's own `fs` ran the operation. Using a closed
 *   {@link File} is one too: `EBADF`, as Node's `FileHandle` reports it.
 * - **Bad input** (a path with a NUL byte, a negative length, contradictory open options) is an
 *   {@link FsArgumentError}, thrown when the function is called, before anything is submitted, with Node's codes
 *   `ERR_INVALID_ARG_TYPE` / `ERR_INVALID_ARG_VALUE` and a message saying what was expected and what was got.
 *
 * @module
 */
import { describeValue, ZokioError } from '@zokio/future';
import { IoError, UnexpectedEofError } from '@zokio/io-driver';

export { IoError, UnexpectedEofError };

/**
 * A function of `@zokio/fs` was called with a value it cannot use. `code` is Node's: `ERR_INVALID_ARG_TYPE` for a
 * value of the wrong type, `ERR_INVALID_ARG_VALUE` for one of the right type that is out of range or malformed.
 *
 * @example
 * ```ts
 * import { FsArgumentError, readFile } from '@zokio/fs';
 * try {
 *   readFile('bad\0path');
 * } catch (e) {
 *   if (e instanceof FsArgumentError) console.log(e.code, e.argument); // ERR_INVALID_ARG_VALUE path
 * }
 * ```
 * @category Errors
 */
export class FsArgumentError extends ZokioError {
  /** The parameter at fault (`'path'`, `'length'`, `'options'`, …). */
  readonly argument: string;
  /** The path the call was about, when it had one. */
  readonly path: string | undefined;

  constructor(
    code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE',
    argument: string,
    message: string,
    path?: string,
  ) {
    super(code, message);
    this.argument = argument;
    this.path = path;
  }
}

/** `where: Expected <what> for <argument>, got <value>`, as an {@link FsArgumentError}. @internal */
export function invalidArgument(
  where: string,
  argument: string,
  what: string,
  got: unknown,
  path?: string,
  code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' = 'ERR_INVALID_ARG_VALUE',
): FsArgumentError {
  return new FsArgumentError(
    code,
    argument,
    `${where}: Expected ${argument} to be ${what}, got ${describeValue(got)}`,
    path,
  );
}

export { isDetached } from '@zokio/memory'; // what `detachedArgument` below is for

/** The error for bytes over a detached ArrayBuffer, as an {@link FsArgumentError}. @internal */
export function detachedArgument(where: string, argument: string, got: unknown, path?: string): FsArgumentError {
  return new FsArgumentError(
    'ERR_INVALID_ARG_VALUE',
    argument,
    `${where}: Expected ${argument} to be bytes in a live ArrayBuffer, got ${describeValue(got)} over a detached (transferred) ArrayBuffer`,
    path,
  );
}

const EBADF = -9;

/** The error for using a {@link File} after `close()`: `EBADF`, as Node's `FileHandle` reports it. @internal */
export function closedFile(syscall: string, path: string): IoError {
  return IoError.fromResult(EBADF, syscall, path);
}
