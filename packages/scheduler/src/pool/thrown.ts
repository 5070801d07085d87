/**
 * How a thrown value crosses threads: taken apart into data structured clone (and `v8.serialize`) keep whole, and
 * rebuilt on the other side as an `Error` of the same name, message, stack, `cause` chain and own fields (`code`,
 * `errno`, …) — a `ZokioError` as a `ZokioError`, a built-in error as its own class. Structured clone alone would
 * lose the class of anything but the built-in errors, and every own field. Used by the worker pool and the
 * blocking pool alike.
 *
 * @module
 */
import { describeValue, ZokioError } from '@zokio/future';

/** A thrown value made structured-clone-able: an error taken apart, or any other value as it was. @internal */
export type EncodedThrown =
  | {
      readonly kind: 'error';
      readonly name: string;
      readonly message: string;
      readonly stack: string | undefined;
      /** Thrown as a `ZokioError` (its brand does not survive a clone; this rebuilds it as one). */
      readonly zokio: boolean;
      /** Own enumerable properties (`code`, `errno`, …) that could be cloned; the others are left out. */
      readonly props: Record<string, unknown>;
      readonly cause?: EncodedThrown;
    }
  | { readonly kind: 'value'; readonly value: unknown };

/** How deep a chain of `cause`s is kept; a cycle (`e.cause = e`) stops here too. */
const MAX_CAUSE_DEPTH = 8;

/**
 * Takes a thrown value apart into something structured clone keeps whole. Never throws: a field whose read throws
 * (an enumerable getter, a proxy's trap) is left out, and a value that cannot be read at all becomes a
 * `ZokioError` `ERR_ZOKIO_JOB_RESULT` — a job fails with what it threw, minus what could not be read. @internal
 */
export function encodeThrown(thrown: unknown, depth = 0): EncodedThrown {
  try {
    return encode(thrown, depth);
  } catch {
    return UNREADABLE;
  }
}

/** What {@link encodeThrown} gives for a thrown value it could not read at all. */
const UNREADABLE: EncodedThrown = {
  kind: 'error',
  name: 'ZokioError',
  message: 'Expected a thrown value that can be read, got one whose reading threw',
  stack: undefined,
  zokio: true,
  props: { code: 'ERR_ZOKIO_JOB_RESULT' },
};

const MISSING = Symbol('missing');

/** `object[key]`, or {@link MISSING} if reading it throws (a getter, a proxy's trap). */
function read(object: object, key: string): unknown {
  try {
    return (object as Record<string, unknown>)[key];
  } catch {
    return MISSING;
  }
}

/** `String(value)`, or `fallback` if that throws (a `toString` that throws, a symbol's conversion). */
function text(value: unknown, fallback: string): string {
  if (value === MISSING) return fallback;
  try {
    return String(value);
  } catch {
    return fallback;
  }
}

function encode(thrown: unknown, depth: number): EncodedThrown {
  if (!(thrown instanceof Error)) {
    return { kind: 'value', value: cloneable(thrown) ? thrown : describeThrown(thrown) };
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(thrown)) {
    if (key === 'cause') continue;
    const value = read(thrown, key);
    if (value !== MISSING && cloneable(value)) props[key] = value;
  }
  const stack = read(thrown, 'stack');
  const encoded = {
    kind: 'error' as const,
    name: text(read(thrown, 'name'), 'Error'),
    message: text(read(thrown, 'message'), ''),
    stack: typeof stack === 'string' ? stack : undefined,
    zokio: thrown instanceof ZokioError,
    props,
  };
  const cause = read(thrown, 'cause');
  if (cause === undefined || cause === MISSING || depth >= MAX_CAUSE_DEPTH) return encoded;
  return { ...encoded, cause: encodeThrown(cause, depth + 1) };
}

/**
 * A thrown value described for a message (`describeValue`, which reads `constructor` and `then`), never throwing:
 * what a failure's text can say about whatever was thrown. @internal
 */
export function describeThrown(thrown: unknown): string {
  try {
    return describeValue(thrown);
  } catch {
    return 'a value that cannot be read';
  }
}

/** The message of a caught error (or a description of a non-error), never throwing. @internal */
export function thrownMessage(error: unknown): string {
  try {
    if (error instanceof Error && typeof error.message === 'string') return error.message;
  } catch {
    // a getter or a proxy's trap threw: describe it instead
  }
  return describeThrown(error);
}

/** Rebuilds what {@link encodeThrown} took apart: an `Error` of the same name, message, stack and properties. @internal */
export function decodeThrown(encoded: EncodedThrown): unknown {
  if (encoded.kind === 'value') return encoded.value;
  const options = encoded.cause === undefined ? undefined : { cause: decodeThrown(encoded.cause) };
  const code = encoded.props['code'];
  let error: Error;
  if (encoded.zokio && typeof code === 'string') {
    error = new ZokioError(code, encoded.message, options);
  } else {
    const Builtin = BUILTIN_ERRORS[encoded.name] ?? Error;
    error = new Builtin(encoded.message, options);
  }
  // A subclass's name (`JoinError`, a user's `ParseError`) lives on its prototype, which does not cross threads.
  if (error.name !== encoded.name)
    Object.defineProperty(error, 'name', { value: encoded.name, writable: true, configurable: true });
  if (encoded.stack === undefined) delete error.stack;
  else Object.defineProperty(error, 'stack', { value: encoded.stack, writable: true, configurable: true });
  Object.assign(error, encoded.props);
  return error;
}

const BUILTIN_ERRORS: Record<string, ErrorConstructor | undefined> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

/**
 * True if structured clone accepts `value` — what a message can carry (shared memory included, which v8.serialize
 * refuses). Used off the hot path only: errors, and outcomes v8.serialize refused.
 */
export function cloneable(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return typeof value !== 'function' && typeof value !== 'symbol';
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}
