/**
 * {@link IoError}: a failed I/O op, with Node's error shape (`code: 'ENOENT'`, negative `errno`, `syscall`, `path`).
 *
 * @module
 */
import { getSystemErrorName } from 'node:util';
import { ZokioError } from '@zokio/future';

/** The errno's name as Node's own errors give it (`EAGAIN`, not its alias `EWOULDBLOCK`), or `E<n>`. */
function errnoName(errno: number): string {
  try {
    const name = getSystemErrorName(-errno);
    return name.startsWith('E') ? name : `E${errno}`;
  } catch {
    return `E${errno}`; // not an errno Node knows
  }
}

/**
 * An operation the kernel (or Node's `fs`) failed. `code` is the errno name, as in Node's own errors.
 *
 * @example
 * ```ts
 * import { IoError } from '@zokio/io-driver';
 * const e = IoError.fromResult(-2, 'open', '/nope');
 * e.code; // 'ENOENT'
 * e.errno; // -2
 * ```
 * @category Errors
 */
export class IoError extends ZokioError {
  /** The negated errno, as Node reports it. */
  readonly errno: number;
  /** The system call, as Node names it (`open`, `read`, `statx`, …). */
  readonly syscall: string;
  /** The path the op was about, if any. */
  readonly path: string | undefined;

  constructor(errno: number, syscall: string, path?: string) {
    const code = errnoName(Math.abs(errno));
    super(code, `${code}: ${syscall} failed${path === undefined ? '' : `, '${path}'`} (errno ${errno})`);
    this.errno = -Math.abs(errno);
    this.syscall = syscall;
    this.path = path;
  }

  /** The error for a negative op result. */
  static fromResult(res: number, syscall: string, path?: string): IoError {
    return new IoError(res, syscall, path);
  }
}

/**
 * A read needed more bytes than there were: the file ended, or the peer closed its side, before `expected` bytes
 * (`readExact` of `@zokio/fs` and `@zokio/net`). What was read is not lost: see each `readExact`.
 *
 * @example
 * ```ts
 * import { UnexpectedEofError } from '@zokio/io-driver';
 * const e = new UnexpectedEofError('data.bin', 8, 3);
 * e.code; // 'ERR_ZOKIO_UNEXPECTED_EOF'
 * ```
 * @category Errors
 */
export class UnexpectedEofError extends ZokioError {
  /** Bytes wanted. */
  readonly expected: number;
  /** Bytes there were. */
  readonly got: number;
  /** The file's path, or the peer's address. */
  readonly path: string;

  constructor(path: string, expected: number, got: number) {
    super('ERR_ZOKIO_UNEXPECTED_EOF', `Expected ${expected} bytes from '${path}', got ${got} before the end`);
    this.expected = expected;
    this.got = got;
    this.path = path;
  }
}
