/**
 * {@link Body}: a request body, read from the connection as the handler asks for it — with `Content-Length`
 * counted down, with `Transfer-Encoding: chunked` decoded (chunk extensions and trailers skipped).
 *
 * Invariants: the body never reads past its own end (the bytes after it are the next pipelined request and stay in
 * the connection's buffer); it never holds more than `maxBodyBytes` in total (`413`); a malformed chunk is a `400`
 * and the connection is closed after the response. A handler that does not read its body leaves it to the
 * connection, which discards a small remainder and closes the connection rather than read a large one.
 *
 * Cancel-safety: `read()` is cancel-safe — bytes it had not returned stay in the connection's buffer. `bytes()` and
 * `text()` are not: dropped, what they had read is lost (the body is then unusable).
 *
 * @module
 */
import { fn, ready, type Future } from '@zokio/future';
import { all, TOKEN_CHAR, VALUE_CHAR } from './chars.js';
import { badRequest, HttpError } from './errors.js';
import type { BodyFraming } from './head.js';

/** The connection, as the body sees it. @internal */
export interface BodySource {
  /** Received bytes not consumed yet. */
  pending: Buffer;
  /** Receives more bytes onto `pending`; false when the client closed. Throws `408` after `bodyTimeout`. */
  fill(): Future<boolean>;
  /** Sends `100 Continue` if the client asked for it and it was not sent yet. */
  sendContinue(): Future<void>;
  readonly maxBodyBytes: number;
}

const EMPTY = Buffer.alloc(0);
const HEX = /^[0-9a-fA-F]{1,12}$/;
/** Longest chunk-size line (with extensions) and trailer line we wait for. */
const MAX_LINE = 4096;
const MAX_TRAILERS = 64;
/**
 * Bytes of chunk extensions and trailers one body may carry. They are read and dropped, so without a bound a client
 * could make the server read megabytes of wire for each data byte (Node's CVE-2024-22019).
 */
const MAX_FRAMING_BYTES = 16 * 1024;
const TOKEN = "[!#$%&'*+\\-.^_`|~0-9A-Za-z]+";
/** `*( BWS ";" BWS token [ BWS "=" BWS ( token / quoted-string ) ] )` (RFC 9112 §7.1.1): no control bytes, no bare LF. */
const CHUNK_EXTENSIONS = new RegExp(
  `^(?:[ \\t]*;[ \\t]*${TOKEN}(?:[ \\t]*=[ \\t]*(?:${TOKEN}|"(?:[\\t\\x20\\x21\\x23-\\x5b\\x5d-\\x7e\\x80-\\xff]|\\\\[\\t\\x20-\\x7e\\x80-\\xff])*"))?)*$`,
);

/** A trailer field line, checked as a header line is: a token name, a colon, a value with no control byte but tab. */
function isTrailerLine(line: string): boolean {
  const colon = line.indexOf(':');
  return colon > 0 && all(line.slice(0, colon), TOKEN_CHAR) && all(line.slice(colon + 1), VALUE_CHAR);
}

type ChunkState = 'size' | 'data' | 'data-crlf' | 'trailers' | 'done';

/**
 * A request body.
 *
 * @example
 * ```ts
 * const echo = fn(function* (req: Request) {
 *   return { body: yield* req.body.bytes() };
 * });
 * ```
 */
export class Body {
  readonly #source: BodySource;
  readonly #chunked: boolean;
  /** Bytes left in the current chunk, or in the whole body with `Content-Length`. */
  #remaining: number;
  #state: ChunkState;
  #received = 0;
  #trailers = 0;
  /** Bytes of chunk extensions and trailer lines seen (see MAX_FRAMING_BYTES). */
  #framing = 0;

  /** @internal Made by the connection for each request. */
  constructor(source: BodySource, framing: BodyFraming) {
    this.#source = source;
    this.#chunked = framing.kind === 'chunked';
    this.#remaining = framing.kind === 'length' ? framing.length : 0;
    this.#state = framing.kind === 'chunked' ? 'size' : framing.kind === 'length' ? 'data' : 'done';
  }

  /** The declared length (`Content-Length`), or `undefined` for a chunked body. */
  get length(): number | undefined {
    return this.#chunked ? undefined : this.#remaining + this.#received;
  }

  /** True once the whole body was read. */
  get done(): boolean {
    return this.#state === 'done';
  }

  /** Bytes of the body read so far. */
  get received(): number {
    return this.#received;
  }

  /**
   * The next piece of the body; an empty buffer at its end. **Cancel-safe.** Fails with an {@link HttpError}: `400`
   * if the client closed mid-body or sent a malformed chunk, `408` if it stalled, `413` past `maxBodyBytes`.
   */
  read(): Future<Buffer> {
    if (this.#state === 'done') return ready(EMPTY);
    const chunk = this.#take();
    if (chunk !== undefined) return ready(chunk);
    return readMore(this, this.#source);
  }

  /** The whole body (at most `maxBodyBytes`, else `413`). Not cancel-safe. */
  bytes(): Future<Buffer> {
    return readAll(this);
  }

  /** The whole body as UTF-8 text. Not cancel-safe. */
  text(): Future<string> {
    return textOf(this);
  }

  /** @internal The next decoded piece from the buffered bytes, or `undefined` if more must be received. */
  take(): Buffer | undefined {
    return this.#take();
  }

  #take(): Buffer | undefined {
    const source = this.#source;
    for (;;) {
      switch (this.#state) {
        case 'done':
          return EMPTY;
        case 'data': {
          const pending = source.pending;
          if (pending.length === 0) return undefined;
          const n = Math.min(this.#remaining, pending.length);
          const chunk = pending.subarray(0, n);
          source.pending = pending.subarray(n);
          this.#remaining -= n;
          this.#received += n;
          if (this.#remaining === 0) this.#state = this.#chunked ? 'data-crlf' : 'done';
          return chunk;
        }
        case 'data-crlf': {
          const pending = source.pending;
          if (pending.length < 2) return undefined;
          if (pending[0] !== 13 || pending[1] !== 10)
            throw badRequest(
              'ERR_HTTP_BAD_CHUNK',
              'CRLF after chunk data',
              JSON.stringify(pending.toString('latin1', 0, 2)),
            );
          source.pending = pending.subarray(2);
          this.#state = 'size';
          break;
        }
        case 'size': {
          const line = this.#line();
          if (line === undefined) return undefined;
          const sizeEnd = line.search(/[^0-9a-fA-F]/);
          const size = sizeEnd < 0 ? line : line.slice(0, sizeEnd);
          if (!HEX.test(size))
            throw badRequest('ERR_HTTP_BAD_CHUNK', 'a chunk size in hexadecimal', JSON.stringify(line.slice(0, 40)));
          if (sizeEnd >= 0) {
            // Extensions are ignored, but checked: a front end reading a bare LF or a control byte otherwise than
            // this server would frame the body differently (request smuggling).
            const extensions = line.slice(sizeEnd);
            if (!CHUNK_EXTENSIONS.test(extensions))
              throw badRequest(
                'ERR_HTTP_BAD_CHUNK',
                'chunk extensions (;name=value)',
                JSON.stringify(extensions.slice(0, 40)),
              );
            this.#countFraming(extensions.length);
          }
          const n = parseInt(size, 16);
          if (this.#received + n > source.maxBodyBytes)
            throw new HttpError(
              413,
              'ERR_HTTP_BODY_TOO_LARGE',
              `Expected a body of at most ${source.maxBodyBytes} bytes, got a chunk that takes it to ${this.#received + n}`,
            );
          if (n === 0) this.#state = 'trailers';
          else {
            this.#remaining = n;
            this.#state = 'data';
          }
          break;
        }
        case 'trailers': {
          const line = this.#line();
          if (line === undefined) return undefined;
          if (line.length === 0) {
            this.#state = 'done';
            return EMPTY;
          }
          if (!isTrailerLine(line))
            throw badRequest(
              'ERR_HTTP_BAD_TRAILER',
              'a trailer field (name: value)',
              JSON.stringify(line.slice(0, 40)),
            );
          this.#countFraming(line.length);
          if (++this.#trailers > MAX_TRAILERS)
            throw new HttpError(
              431,
              'ERR_HTTP_TOO_MANY_HEADERS',
              `Expected at most ${MAX_TRAILERS} trailer fields, got more`,
            );
          break;
        }
      }
    }
  }

  #countFraming(bytes: number): void {
    this.#framing += bytes;
    if (this.#framing > MAX_FRAMING_BYTES)
      throw badRequest(
        'ERR_HTTP_BAD_CHUNK',
        `at most ${MAX_FRAMING_BYTES} bytes of chunk extensions and trailers`,
        `${this.#framing} bytes`,
      );
  }

  /** One CRLF-terminated line off the buffered bytes, without its CRLF. */
  #line(): string | undefined {
    const source = this.#source;
    const eol = source.pending.indexOf('\r\n', 0, 'latin1');
    // The limit holds whether the line's end came in the same read or not.
    if (eol < 0 ? source.pending.length > MAX_LINE : eol > MAX_LINE)
      throw badRequest(
        'ERR_HTTP_BAD_CHUNK',
        `a chunk line of at most ${MAX_LINE} bytes`,
        eol < 0 ? `${source.pending.length} bytes without its end` : `${eol} bytes`,
      );
    if (eol < 0) return undefined;
    const line = source.pending.toString('latin1', 0, eol);
    source.pending = source.pending.subarray(eol + 2);
    return line;
  }
}

const readMore = fn(function* (body: Body, source: BodySource) {
  yield* source.sendContinue();
  for (;;) {
    const chunk = body.take();
    if (chunk !== undefined) return chunk;
    if (!(yield* source.fill()))
      throw badRequest(
        'ERR_HTTP_INCOMPLETE_BODY',
        'the rest of the request body',
        `the end of the connection after ${body.received} bytes`,
      );
  }
});

const readAll = fn(function* (body: Body) {
  const chunks: Buffer[] = [];
  for (let chunk = yield* body.read(); chunk.length > 0; chunk = yield* body.read()) chunks.push(chunk);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
});

const textOf = fn(function* (body: Body) {
  return (yield* readAll(body)).toString('utf8');
});
