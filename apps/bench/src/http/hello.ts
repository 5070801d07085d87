/**
 * What every server of `http_hello` answers, and the little the minimal `node:net` server needs to answer it: the
 * fixed response with its `date` formatted once a second (`HelloResponse`), the count of complete request heads in
 * what a connection has received (`HeadCounter`), and the check the bench makes of each server's answer before
 * loading it (`checkHelloResponse`). Pure but for the clock, so that the test can pin them down.
 *
 * @module
 */

/** The body every server sends. */
export const HELLO_BODY = 'Hello, World!';

/** The content type every server sends. */
export const HELLO_CONTENT_TYPE = 'text/plain';

/**
 * The minimal server's response, byte for byte what `@zokio/http` writes for `{ headers: { 'content-type':
 * 'text/plain' }, body: 'Hello, World!' }` to an HTTP/1.1 keep-alive request: status line, `date`,
 * `content-type`, `content-length`, body.
 */
export function helloResponse(date: string): string {
  return (
    `HTTP/1.1 200 OK\r\ndate: ${date}\r\ncontent-type: ${HELLO_CONTENT_TYPE}\r\n` +
    `content-length: ${Buffer.byteLength(HELLO_BODY)}\r\n\r\n${HELLO_BODY}`
  );
}

/** {@link helloResponse} as bytes, formatted again only when the second changes. */
export class HelloResponse {
  #second = -1;
  #bytes: Buffer = Buffer.alloc(0);

  /** The response for now (`now` in ms since the epoch). */
  bytes(now = Date.now()): Buffer {
    const second = Math.floor(now / 1000);
    if (second !== this.#second) {
      this.#second = second;
      this.#bytes = Buffer.from(helloResponse(new Date(second * 1000).toUTCString()), 'latin1');
    }
    return this.#bytes;
  }

  /** The response `count` times over, for as many pipelined requests. */
  repeated(count: number, now = Date.now()): Buffer {
    const one = this.bytes(now);
    return count === 1 ? one : Buffer.concat(Array.from({ length: count }, () => one));
  }
}

const END_OF_HEAD = Buffer.from('\r\n\r\n', 'latin1');

/**
 * Counts the complete request heads (each ended by `\r\n\r\n`) in what a connection receives, keeping a partial one
 * for the next chunk: pipelined requests are each counted, a head split across chunks is counted once whole.
 * Bodies are not read: the scenario sends none.
 */
export class HeadCounter {
  #pending: Buffer | undefined = undefined;
  readonly #maxPending: number;

  /** `maxPending`: the longest partial head kept before {@link push} gives up on the connection. */
  constructor(maxPending = 64 * 1024) {
    this.#maxPending = maxPending;
  }

  /** The complete heads `chunk` completes, or −1 if the partial head left over is longer than `maxPending`. */
  push(chunk: Buffer): number {
    const data = this.#pending === undefined ? chunk : Buffer.concat([this.#pending, chunk]);
    let count = 0;
    let at = 0;
    for (let end = data.indexOf(END_OF_HEAD); end !== -1; end = data.indexOf(END_OF_HEAD, at)) {
      count++;
      at = end + END_OF_HEAD.length;
    }
    if (at === data.length) this.#pending = undefined;
    else {
      // A copy: a view would keep the whole chunk alive.
      this.#pending = Buffer.from(data.subarray(at));
      if (this.#pending.length > this.#maxPending) return -1;
    }
    return count;
  }

  /** Bytes of a partial head waiting for the rest. */
  get pending(): number {
    return this.#pending?.length ?? 0;
  }
}

/**
 * Whether `error` says the client went away (`ECONNRESET`, `EPIPE`): wrk resets the connections it still holds when
 * its run ends, answers in flight and all. Every server takes that as the end of the connection, not as an error
 * (`@zokio/http` does too), so the bench counts only the other errors.
 */
export function clientGone(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'ECONNRESET' || code === 'EPIPE';
}

/** What {@link checkHelloResponse} found: the response's size, and its head's fields by lower-case name. */
export interface HelloCheck {
  readonly bytes: number;
  readonly headers: Readonly<Record<string, string>>;
}

/**
 * A response head (without the empty line that ends it) as its status line and its fields by lower-case name, the
 * last of a repeated name kept. Throws an `Error` for a line that is not a field.
 */
export function parseHead(head: string): { readonly status: string; readonly headers: Record<string, string> } {
  const [status = '', ...fields] = head.split('\r\n');
  const headers: Record<string, string> = {};
  for (const field of fields) {
    const colon = field.indexOf(':');
    if (colon <= 0) throw new Error(`Expected a header field "name: value", got ${JSON.stringify(field)}`);
    headers[field.slice(0, colon).toLowerCase()] = field.slice(colon + 1).trim();
  }
  return { status, headers };
}

/**
 * Checks one complete response to `GET /` (head and body, nothing after): `200`, a `date`, `content-type:
 * text/plain`, `content-length: 13` and `Hello, World!`. Throws an `Error` saying what differs.
 */
export function checkHelloResponse(raw: string): HelloCheck {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`Expected a response head ended by an empty line, got ${JSON.stringify(raw)}`);
  const { status: statusLine, headers } = parseHead(raw.slice(0, end));
  if (statusLine !== 'HTTP/1.1 200 OK') {
    throw new Error(`Expected the status line "HTTP/1.1 200 OK", got ${JSON.stringify(statusLine)}`);
  }
  const body = raw.slice(end + 4);
  const want: Record<string, string> = {
    'content-type': HELLO_CONTENT_TYPE,
    'content-length': String(Buffer.byteLength(HELLO_BODY)),
  };
  for (const [name, value] of Object.entries(want)) {
    if (headers[name] !== value) throw new Error(`Expected "${name}: ${value}", got ${JSON.stringify(headers[name])}`);
  }
  if (headers['date'] === undefined || Number.isNaN(Date.parse(headers['date']))) {
    throw new Error(`Expected a date header, got ${JSON.stringify(headers['date'])}`);
  }
  if (body !== HELLO_BODY)
    throw new Error(`Expected the body ${JSON.stringify(HELLO_BODY)}, got ${JSON.stringify(body)}`);
  return { bytes: Buffer.byteLength(raw, 'latin1'), headers };
}
