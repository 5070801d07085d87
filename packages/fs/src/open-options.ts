/**
 * {@link OpenOptions} (Rust's `std::fs::OpenOptions`, as an object) and Node's flag strings (`'r'`, `'w+'`, `'ax'`, …),
 * both turned into `open(2)` flags and checked: contradictory options are refused before anything is opened.
 *
 * Rules (Rust's): at least one of `read`, `write`, `append`; `create`, `createNew` and `truncate` need `write` or
 * `append`; `truncate` cannot go with `append`; `createNew` means create, failing with `EEXIST` if the path exists
 * (it also refuses to follow a final symlink, as `O_EXCL` does). Files are opened close-on-exec.
 *
 * @module
 */
import { constants } from 'node:fs';
import { describeValue } from '@zokio/future';
import { FsArgumentError } from './errors.js';

/**
 * How to open a file. The defaults open nothing: say what you need.
 *
 * @example
 * ```ts
 * import { File } from '@zokio/fs';
 * // Append to a log, creating it if needed:
 * const log = File.open('app.log', { append: true, create: true });
 * ```
 * @category Files
 */
export interface OpenOptions {
  /** Open for reading. */
  readonly read?: boolean;
  /** Open for writing. */
  readonly write?: boolean;
  /** Open for writing at the end (every write appends). */
  readonly append?: boolean;
  /** Create the file if it does not exist. */
  readonly create?: boolean;
  /** Create the file, failing with `EEXIST` if it exists. */
  readonly createNew?: boolean;
  /** Truncate the file to 0 bytes on open. */
  readonly truncate?: boolean;
  /** Each write returns once its data and the metadata to read it back are on the disk (`O_SYNC`). */
  readonly sync?: boolean;
  /** Permission bits of a created file (before the umask). @default 0o666 */
  readonly mode?: number;
}

/** Node's flag strings. @category Files */
export type OpenFlags = 'r' | 'r+' | 'rs+' | 'w' | 'wx' | 'w+' | 'wx+' | 'a' | 'ax' | 'a+' | 'ax+' | 'as' | 'as+';

const FLAG_OPTIONS: Record<OpenFlags, OpenOptions> = {
  r: { read: true },
  'r+': { read: true, write: true },
  'rs+': { read: true, write: true, sync: true },
  w: { write: true, create: true, truncate: true },
  wx: { write: true, createNew: true },
  'w+': { read: true, write: true, create: true, truncate: true },
  'wx+': { read: true, write: true, createNew: true },
  a: { append: true, create: true },
  ax: { append: true, createNew: true },
  'a+': { read: true, append: true, create: true },
  'ax+': { read: true, append: true, createNew: true },
  as: { append: true, create: true, sync: true },
  'as+': { read: true, append: true, create: true, sync: true },
};

/** Linux's `O_CLOEXEC` (Node's `fs.constants` does not name it; libuv adds it to its own opens). */
const O_CLOEXEC = 0o2000000;

const KEYS = new Set(['read', 'write', 'append', 'create', 'createNew', 'truncate', 'sync', 'mode']);

function bad(where: string, message: string, path: string | undefined): FsArgumentError {
  return new FsArgumentError('ERR_INVALID_ARG_VALUE', 'options', `${where}: ${message}`, path);
}

/** `open(2)` flags and mode for `options`; throws an {@link FsArgumentError} for contradictory or unknown options. @internal */
export function openFlags(options: unknown, where: string, path?: string): { flags: number; mode: number } {
  let o: OpenOptions;
  if (typeof options === 'string') {
    const known = FLAG_OPTIONS[options as OpenFlags];
    if (known === undefined) {
      throw bad(
        where,
        `Expected a flag string (${Object.keys(FLAG_OPTIONS).join(', ')}), got ${describeValue(options)}`,
        path,
      );
    }
    o = known;
  } else if (typeof options === 'object' && options !== null) {
    o = options;
    for (const key of Object.keys(o)) {
      if (!KEYS.has(key))
        throw bad(where, `Expected options among ${[...KEYS].join(', ')}, got ${describeValue(key)}`, path);
    }
    for (const key of ['read', 'write', 'append', 'create', 'createNew', 'truncate', 'sync'] as const) {
      const value = o[key];
      if (value !== undefined && typeof value !== 'boolean') {
        throw new FsArgumentError(
          'ERR_INVALID_ARG_TYPE',
          'options',
          `${where}: Expected options.${key} to be a boolean, got ${describeValue(value)}`,
          path,
        );
      }
    }
  } else {
    throw new FsArgumentError(
      'ERR_INVALID_ARG_TYPE',
      'options',
      `${where}: Expected OpenOptions or a flag string such as 'r', got ${describeValue(options)}`,
      path,
    );
  }
  const mode = o.mode ?? 0o666;
  if (!Number.isInteger(mode) || mode < 0 || mode > 0o7777) {
    throw bad(where, `Expected options.mode to be permission bits from 0 to 0o7777, got ${describeValue(mode)}`, path);
  }
  const writes = o.write === true || o.append === true;
  if (o.read !== true && !writes) throw bad(where, 'Expected read, write or append to be true, got none of them', path);
  if (!writes && (o.create === true || o.createNew === true || o.truncate === true)) {
    throw bad(where, 'Expected write or append with create, createNew or truncate, got neither', path);
  }
  if (o.truncate === true && o.append === true) throw bad(where, 'Expected truncate or append, got both', path);
  let flags = O_CLOEXEC;
  flags |= o.read === true ? (writes ? constants.O_RDWR : constants.O_RDONLY) : constants.O_WRONLY;
  if (o.append === true) flags |= constants.O_APPEND;
  if (o.createNew === true) flags |= constants.O_CREAT | constants.O_EXCL;
  else if (o.create === true) flags |= constants.O_CREAT;
  if (o.truncate === true) flags |= constants.O_TRUNC;
  if (o.sync === true) flags |= constants.O_SYNC;
  return { flags, mode };
}
