/**
 * How a job's call and its outcome are written into shared memory: the bytes a thread leaves in a job slot for
 * another thread to read.
 *
 * A **call** is `(module URL, export name, args)`; an **outcome** is one value (a result, or an encoded error).
 * Values keep structured-clone semantics. The common case — arguments and results that are numbers, strings,
 * booleans, `null` or `undefined` — is written by hand: `v8.serialize` costs microseconds per call here, which
 * would be most of a tiny job's cost (measured: 6.4 µs to serialize and copy, 2.9 µs to deserialize, against
 * ≈ 0.3 µs for a hand-written string and number). Anything else goes through `v8.serialize`.
 *
 * ## Format (little-endian, inside one slot's byte range)
 * ```
 * call    = u16 urlLength, url (UTF-8), u16 nameLength, name (UTF-8), u8 argc, value × argc
 *         | u16 urlLength, url, u16 nameLength, name, u8 0xff, u32 n, v8.serialize(args) (n bytes)
 * value   = u8 tag, payload: UNDEFINED | NULL | TRUE | FALSE | NUMBER f64 | STRING u32 n, UTF-8 | V8 u32 n, bytes
 * ```
 * An encoder returns −1 when the bytes do not fit the slot; the caller then sends the call by message instead.
 *
 * @module
 */
import v8 from 'node:v8';

const UNDEFINED = 0;
const NULL = 1;
const TRUE = 2;
const FALSE = 3;
const NUMBER = 4;
const STRING = 5;
const V8 = 6;
/** `argc` that says the arguments are one `v8.serialize`d array. */
const V8_ARGS = 0xff;
/** The most arguments written one by one. */
const MAX_FAST_ARGS = 16;

/** A decoded call. */
export interface Call {
  readonly url: string;
  readonly name: string;
  readonly args: unknown[];
}

/** Reads and writes calls and values in one shared byte range (the job table's payload area). */
export class Codec {
  readonly #bytes: Buffer;
  readonly #view: DataView;

  constructor(payload: SharedArrayBuffer) {
    this.#bytes = Buffer.from(payload);
    this.#view = new DataView(payload);
  }

  /** Writes a call at `at`, within `room` bytes; returns the bytes written, or −1 if it does not fit. */
  writeCall(at: number, room: number, url: string, name: string, args: readonly unknown[]): number {
    const end = at + room;
    let p = this.#string16(at, end, url);
    if (p < 0) return -1;
    p = this.#string16(p, end, name);
    if (p < 0 || p + 1 > end) return -1;
    const fast = args.length <= MAX_FAST_ARGS && args.every(isFastValue);
    if (fast) {
      this.#bytes[p++] = args.length;
      for (const arg of args) {
        p = this.#fastValue(p, end, arg);
        if (p < 0) return -1;
      }
      return p - at;
    }
    this.#bytes[p++] = V8_ARGS;
    p = this.#blob(p, end, v8.serialize(args));
    return p < 0 ? -1 : p - at;
  }

  /** Reads the call written at `at`. */
  readCall(at: number): Call {
    const bytes = this.#bytes;
    const urlLength = this.#view.getUint16(at, true);
    const url = bytes.toString('utf8', at + 2, at + 2 + urlLength);
    let p = at + 2 + urlLength;
    const nameLength = this.#view.getUint16(p, true);
    const name = bytes.toString('utf8', p + 2, p + 2 + nameLength);
    p += 2 + nameLength;
    const argc = bytes[p++]!;
    if (argc === V8_ARGS) {
      const n = this.#view.getUint32(p, true);
      return { url, name, args: v8.deserialize(bytes.subarray(p + 4, p + 4 + n)) as unknown[] };
    }
    const args = new Array<unknown>(argc);
    for (let i = 0; i < argc; i++) {
      args[i] = this.#readValueAt(p);
      p = this.#skip(p);
    }
    return { url, name, args };
  }

  /** Writes one value at `at` within `room` bytes; the bytes written, or −1. Throws if it cannot be cloned. */
  writeValue(at: number, room: number, value: unknown): number {
    const end = at + room;
    const p = isFastValue(value) ? this.#fastValue(at, end, value) : -2;
    if (p !== -2) return p < 0 ? -1 : p - at;
    if (end - at < 5) return -1;
    this.#bytes[at] = V8;
    const q = this.#blob(at + 1, end, v8.serialize(value));
    return q < 0 ? -1 : q - at;
  }

  /** Reads the value written at `at`. */
  readValue(at: number): unknown {
    return this.#readValueAt(at);
  }

  #readValueAt(p: number): unknown {
    switch (this.#bytes[p]) {
      case UNDEFINED:
        return undefined;
      case NULL:
        return null;
      case TRUE:
        return true;
      case FALSE:
        return false;
      case NUMBER:
        return this.#view.getFloat64(p + 1, true);
      case STRING: {
        const n = this.#view.getUint32(p + 1, true);
        return this.#bytes.toString('utf8', p + 5, p + 5 + n);
      }
      default: {
        const n = this.#view.getUint32(p + 1, true);
        // A copy: the deserializer must not read shared bytes another thread may reuse for the next job.
        return v8.deserialize(Buffer.from(this.#bytes.subarray(p + 5, p + 5 + n)));
      }
    }
  }

  /** Where the value at `p` ends. */
  #skip(p: number): number {
    const tag = this.#bytes[p];
    if (tag === NUMBER) return p + 9;
    if (tag === STRING || tag === V8) return p + 5 + this.#view.getUint32(p + 1, true);
    return p + 1;
  }

  #fastValue(p: number, end: number, value: unknown): number {
    if (p + 1 > end) return -1;
    const bytes = this.#bytes;
    switch (typeof value) {
      case 'number':
        if (p + 9 > end) return -1;
        bytes[p] = NUMBER;
        this.#view.setFloat64(p + 1, value, true);
        return p + 9;
      case 'string': {
        if (p + 5 + value.length > end && p + 5 + Buffer.byteLength(value) > end) return -1;
        bytes[p] = STRING;
        const n = bytes.write(value, p + 5, end - p - 5, 'utf8');
        if (n < Buffer.byteLength(value)) return -1;
        this.#view.setUint32(p + 1, n, true);
        return p + 5 + n;
      }
      case 'boolean':
        bytes[p] = value ? TRUE : FALSE;
        return p + 1;
      default:
        bytes[p] = value === null ? NULL : UNDEFINED;
        return p + 1;
    }
  }

  #string16(p: number, end: number, text: string): number {
    const n = Buffer.byteLength(text);
    if (n > 0xffff || p + 2 + n > end) return -1;
    this.#view.setUint16(p, n, true);
    this.#bytes.write(text, p + 2, n, 'utf8');
    return p + 2 + n;
  }

  #blob(p: number, end: number, blob: Uint8Array): number {
    if (p + 4 + blob.length > end) return -1;
    this.#view.setUint32(p, blob.length, true);
    this.#bytes.set(blob, p + 4);
    return p + 4 + blob.length;
  }
}

function isFastValue(value: unknown): boolean {
  const type = typeof value;
  if (type === 'string') {
    // UTF-8 has no lone surrogate: such a string would arrive with U+FFFD in its place. V8's serializer keeps it.
    return (value as { isWellFormed(): boolean }).isWellFormed();
  }
  return type === 'number' || type === 'boolean' || value === null || value === undefined;
}
