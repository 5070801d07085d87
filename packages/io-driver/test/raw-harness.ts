/** The raw-backend harness shared by the native backend suites (`native-ring`, `native-epoll`). */
import {
  AT_FDCWD,
  COMPLETION_RECORD_BYTES,
  CompletionField,
  OP_RECORD_BYTES,
  OpField,
  type Backend,
  type BackendFactory,
} from '../src/contract.js';

export interface Completion {
  token: number;
  res: number;
  flags: number;
  aux: number;
}

export interface OpFields {
  fd?: number;
  arg?: number;
  offset?: number;
  buf?: [arena: number, offset: number, length: number];
  mode?: number;
  path?: [arena: number, offset: number];
  path2?: [arena: number, offset: number];
  fd2?: number;
}

/**
 * A backend plus a staging writer and a completion log: the part of a driver the native backend tests need. Records
 * are written with a DataView in the layout of `contract.ts`; `defaultOffset` is the file position an op gets when
 * the test names none.
 */
export class Harness<B extends Backend = Backend> {
  readonly staging: ArrayBuffer;
  readonly completions: ArrayBuffer;
  readonly backend: B;
  readonly log: Completion[] = [];
  readonly arena = new ArrayBuffer(1 << 20);
  readonly bytes = new Uint8Array(this.arena);
  #view: DataView;
  #count = 0;
  #waiters: { n: number; resolve: () => void }[] = [];

  readonly #defaultOffset: number;

  constructor(factory: BackendFactory, records = 1024, completionRecords = 256, defaultOffset = 0) {
    this.#defaultOffset = defaultOffset;
    this.staging = new ArrayBuffer(records * OP_RECORD_BYTES);
    this.completions = new ArrayBuffer(completionRecords * COMPLETION_RECORD_BYTES);
    this.#view = new DataView(this.staging);
    const out = new DataView(this.completions);
    this.backend = factory(this.staging, this.completions, (count) => {
      for (let i = 0; i < count; i++) {
        const at = i * COMPLETION_RECORD_BYTES;
        this.log.push({
          token: out.getUint32(at + CompletionField.token, true),
          res: out.getInt32(at + CompletionField.res, true),
          flags: out.getUint32(at + CompletionField.flags, true),
          aux: out.getUint32(at + CompletionField.aux, true),
        });
      }
      this.#waiters = this.#waiters.filter((w) => (this.log.length >= w.n ? (w.resolve(), false) : true));
    }) as B;
    this.backend.registerArena(0, this.arena);
  }

  /** Encodes one op record at the next staging slot. */
  op(opcode: number, token: number, f: OpFields = {}): this {
    const at = this.#count++ * OP_RECORD_BYTES;
    const v = this.#view;
    new Uint8Array(this.staging, at, OP_RECORD_BYTES).fill(0);
    v.setUint8(at + OpField.opcode, opcode);
    v.setUint32(at + OpField.token, token, true);
    v.setInt32(at + OpField.fd, f.fd ?? -1, true);
    v.setUint32(at + OpField.arg, f.arg ?? 0, true);
    v.setFloat64(at + OpField.offset, f.offset ?? this.#defaultOffset, true);
    const [bufArena, bufOffset, bufLength] = f.buf ?? [0, 0, 0];
    v.setUint32(at + OpField.bufArena, bufArena, true);
    v.setUint32(at + OpField.bufOffset, bufOffset, true);
    v.setUint32(at + OpField.bufLength, bufLength, true);
    v.setUint32(at + OpField.mode, f.mode ?? 0, true);
    const [pathArena, pathOffset] = f.path ?? [0, 0];
    v.setUint32(at + OpField.pathArena, pathArena, true);
    v.setUint32(at + OpField.pathOffset, pathOffset, true);
    const [path2Arena, path2Offset] = f.path2 ?? [0, 0];
    v.setUint32(at + OpField.path2Arena, path2Arena, true);
    v.setUint32(at + OpField.path2Offset, path2Offset, true);
    v.setInt32(at + OpField.fd2, f.fd2 ?? AT_FDCWD, true);
    return this;
  }

  flush(): void {
    this.backend.flush(this.#count);
    this.#count = 0;
  }

  /** Writes a NUL-terminated path into the arena at `offset`. */
  path(offset: number, path: string): [number, number] {
    const written = new TextEncoder().encodeInto(path, this.bytes.subarray(offset));
    this.bytes[offset + written.written] = 0;
    return [0, offset];
  }

  /** Resolves once `n` completions have arrived in total. */
  until(n: number): Promise<Completion[]> {
    if (this.log.length >= n) return Promise.resolve(this.log);
    return new Promise((resolve) => this.#waiters.push({ n, resolve: () => resolve(this.log) }));
  }

  /** Flushes what is staged and waits for `n` more completions; returns them by token. */
  async roundTrip(n: number): Promise<Map<number, Completion>> {
    const start = this.log.length;
    this.flush();
    await this.until(start + n);
    return new Map(this.log.slice(start).map((c) => [c.token, c]));
  }

  /** The result of the completion for `token`, if it arrived. */
  res(token: number): number | undefined {
    return this.log.find((c) => c.token === token)?.res;
  }
}
