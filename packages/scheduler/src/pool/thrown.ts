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

/** Takes a thrown value apart into something structured clone keeps whole. @internal */
export function encodeThrown(thrown: unknown, depth = 0): EncodedThrown {
  if (!(thrown instanceof Error)) {
    return { kind: 'value', value: cloneable(thrown) ? thrown : describeValue(thrown) };
  }
  const props: Record<string, unknown> = {};
  for (const key of Object.keys(thrown)) {
    const value = (thrown as unknown as Record<string, unknown>)[key];
    if (key !== 'cause' && cloneable(value)) props[key] = value;
  }
  const encoded = {
    kind: 'error' as const,
    name: String(thrown.name),
    message: String(thrown.message),
    stack: typeof thrown.stack === 'string' ? thrown.stack : undefined,
    zokio: thrown instanceof ZokioError,
    props,
  };
  const cause: unknown = (thrown as { cause?: unknown }).cause;
  if (cause === undefined || depth >= MAX_CAUSE_DEPTH) return encoded;
  return { ...encoded, cause: encodeThrown(cause, depth + 1) };
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
