/**
 * The errors of `@zokio/net`: what the system refused is an {@link IoError} (Node's shape: `code` such as
 * `'ECONNREFUSED'`, negative `errno`, `syscall`, and the address in `path`); a connect that ran out of its
 * `timeout` is a {@link ConnectTimeoutError}, an `IoError` with the kernel's own code for that (`ETIMEDOUT`); bad
 * input is a {@link NetArgumentError}, thrown when the function is called, before anything is submitted.
 *
 * @module
 */
import { describeValue, ZokioError } from '@zokio/future';
import { IoError, UnexpectedEofError } from '@zokio/io-driver';

export { IoError, UnexpectedEofError };

/**
 * A function of `@zokio/net` was called with a value it cannot use. `code` is Node's: `ERR_INVALID_ARG_TYPE` for a
 * value of the wrong type, `ERR_INVALID_ARG_VALUE` for one of the right type that is malformed or out of range.
 *
 * @example
 * ```ts
 * import { NetArgumentError, TcpStream } from '@zokio/net';
 * try {
 *   TcpStream.connect('127.0.0.1:99999');
 * } catch (e) {
 *   if (e instanceof NetArgumentError) console.log(e.code, e.argument); // ERR_INVALID_ARG_VALUE address
 * }
 * ```
 * @category Errors
 */
export class NetArgumentError extends ZokioError {
  /** The parameter at fault. */
  readonly argument: string;

  constructor(code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE', argument: string, message: string) {
    super(code, message);
    this.argument = argument;
  }
}

/** `where: Expected <argument> to be <what>, got <value>`. @internal */
export function invalidArgument(
  where: string,
  argument: string,
  what: string,
  got: unknown,
  code: 'ERR_INVALID_ARG_TYPE' | 'ERR_INVALID_ARG_VALUE' = 'ERR_INVALID_ARG_VALUE',
): NetArgumentError {
  return new NetArgumentError(
    code,
    argument,
    `${where}: Expected ${argument} to be ${what}, got ${describeValue(got)}`,
  );
}

export { isDetached } from '@zokio/memory'; // what `detachedArgument` below is for

/** The error for bytes over a detached ArrayBuffer, as a {@link NetArgumentError}. @internal */
export function detachedArgument(where: string, argument: string, got: unknown): NetArgumentError {
  return new NetArgumentError(
    'ERR_INVALID_ARG_VALUE',
    argument,
    `${where}: Expected ${argument} to be bytes in a live ArrayBuffer, got ${describeValue(got)} over a detached (transferred) ArrayBuffer`,
  );
}

const ETIMEDOUT = -110;

/**
 * `TcpStream.connect(address, { timeout })` was not connected within `timeout` milliseconds. It is the `IoError`
 * the kernel gives a connect whose SYNs go unanswered — `code: 'ETIMEDOUT'`, `errno: -110`, `syscall: 'connect'`,
 * the address in `path` — so one check on `code` covers both; `timeout` says which limit ran out. The socket was
 * closed before this was thrown.
 *
 * @example
 * ```ts
 * import { ConnectTimeoutError, TcpStream } from '@zokio/net';
 * import { main } from '@zokio/runtime';
 * await main(function* () {
 *   try {
 *     using stream = yield* TcpStream.connect('192.0.2.1:80', { timeout: 100 }); // TEST-NET-1: nobody answers
 *     console.log('connected to', stream.peerAddr());
 *   } catch (e) {
 *     if (e instanceof ConnectTimeoutError) console.log(e.code, e.path, e.timeout); // ETIMEDOUT 192.0.2.1:80 100
 *     else console.log('refused at once:', e); // a network that rejects TEST-NET-1 (or has no route) says so
 *   }
 * });
 * ```
 * @category Errors
 */
export class ConnectTimeoutError extends IoError {
  /** The limit that ran out, in milliseconds. */
  readonly timeout: number;

  constructor(address: string, timeout: number) {
    super(ETIMEDOUT, 'connect', address);
    this.timeout = timeout;
    this.message = `ETIMEDOUT: connect to '${address}' timed out after ${timeout} ms (errno ${ETIMEDOUT})`;
  }
}

const EBADF = -9;

/** Using a socket after `close()`: `EBADF`, as Node reports it. @internal */
export function closedSocket(syscall: string, label: string): IoError {
  return IoError.fromResult(EBADF, syscall, label);
}
