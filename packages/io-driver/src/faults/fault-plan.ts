/**
 * {@link FaultOptions}: which faults a {@link FaultInjector} injects and how often, from a seed (the injector draws
 * from `@zokio/future`'s `SeededRandom`), so that a failing run replays.
 *
 * A fault plan is data only (it crosses to worker threads and comes from `ZOKIO_IO_FAULTS`); the injector that
 * applies it to a backend is `fault-injector.ts`.
 *
 * @module
 */
import { describeValue } from '@zokio/future';

/**
 * What the injector may do to an op:
 * - `fail`: the op never reaches the backend and completes with an error it could really get (`EINTR`, `EAGAIN`,
 *   `ECONNRESET`, `EPIPE`, `ENOMEM`, `ENOBUFS`, by op: see {@link FaultInjector}), as a failed submission would;
 * - `short`: a read, write, receive or send on a file or stream moves fewer bytes (its length is cut before it
 *   reaches the backend, so the short transfer is real);
 * - `delay`: a completion is held back for up to `maxDelayMs`;
 * - `reorder`: the completions of one wake-up are delivered in a shuffled order (each op's own stay in order).
 * @category Fault injection
 */
export type FaultKind = 'fail' | 'short' | 'delay' | 'reorder';

/** Every fault kind. @category Fault injection */
export const FAULT_KINDS: readonly FaultKind[] = ['fail', 'short', 'delay', 'reorder'];

/**
 * The ops a `fail` or a `short` may hit, by name: every op the injector faults at submission (a `short` only ever
 * hits `read`, `write`, `recv` and `send`). Naming a few aims the faults at one path: `ops: ['send']` fails sends
 * only, on sockets that stay healthy — what a test of "the response was lost, the connection was not" needs.
 * @category Fault injection
 */
export const FAULT_OPS = [
  'read',
  'readv',
  'write',
  'writev',
  'openat',
  'fsync',
  'statx',
  'unlinkat',
  'renameat',
  'mkdirat',
  'socket',
  'connect',
  'accept',
  'recv',
  'recvmsg',
  'send',
  'sendmsg',
  'poll_add',
] as const;

/** The name of an op a `fail` or a `short` may hit: one of {@link FAULT_OPS}. @category Fault injection */
export type FaultOp = (typeof FAULT_OPS)[number];

/**
 * Which faults a {@link FaultInjector} injects, and how often.
 *
 * @example
 * ```ts
 * import { FaultInjector, type FaultOptions } from '@zokio/io-driver';
 * const options: FaultOptions = { seed: 7, rate: 0.1, faults: ['fail', 'short'] };
 * new FaultInjector(options).plan.rate; // 0.1
 * ```
 * @category Fault injection
 */
export interface FaultOptions {
  /** The generator's seed: the same seed and the same ops give the same faults. @default 1 */
  readonly seed?: number;
  /** The chance, from 0 to 1, that an eligible op or completion gets each enabled fault. @default 0.05 */
  readonly rate?: number;
  /** The faults to inject. @default every kind */
  readonly faults?: readonly FaultKind[];
  /** The longest a delayed completion is held, in milliseconds (0 – 1,000). @default 5 */
  readonly maxDelayMs?: number;
  /** The ops `fail` and `short` may hit ({@link FAULT_OPS}); `delay` and `reorder` hit every op. @default every op */
  readonly ops?: readonly FaultOp[];
}

/** {@link FaultOptions} with the defaults applied and every value checked. @category Fault injection */
export interface FaultPlan {
  readonly seed: number;
  readonly rate: number;
  readonly faults: ReadonlySet<FaultKind>;
  readonly maxDelayMs: number;
  readonly ops: ReadonlySet<FaultOp>;
}

/** Checks `options` and applies the defaults; a bad value throws a `TypeError` saying what was expected. */
export function faultPlan(options: FaultOptions = {}): FaultPlan {
  if (typeof options !== 'object' || options === null)
    throw new TypeError(`FaultInjector: Expected options to be an object, got ${describeValue(options)}`);
  const { seed = 1, rate = 0.05, faults = FAULT_KINDS, maxDelayMs = 5, ops = FAULT_OPS } = options;
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff)
    throw new TypeError(`FaultInjector: Expected seed to be an integer from 0 to 2^32 - 1, got ${describeValue(seed)}`);
  if (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))
    throw new TypeError(`FaultInjector: Expected rate to be a number from 0 to 1, got ${describeValue(rate)}`);
  if (!Array.isArray(faults) || !faults.every((f) => FAULT_KINDS.includes(f as FaultKind)))
    throw new TypeError(
      `FaultInjector: Expected faults to be an array of ${FAULT_KINDS.join(', ')}, got ${describeValue(faults)}`,
    );
  if (typeof maxDelayMs !== 'number' || !(maxDelayMs >= 0 && maxDelayMs <= 1000))
    throw new TypeError(
      `FaultInjector: Expected maxDelayMs to be a number from 0 to 1000, got ${describeValue(maxDelayMs)}`,
    );
  if (!Array.isArray(ops) || !ops.every((op) => FAULT_OPS.includes(op as FaultOp)))
    throw new TypeError(
      `FaultInjector: Expected ops to be an array of ${FAULT_OPS.join(', ')}, got ${describeValue(ops)}`,
    );
  return { seed, rate, faults: new Set(faults as FaultKind[]), maxDelayMs, ops: new Set(ops as FaultOp[]) };
}

/**
 * Parses the text form of {@link FaultOptions} (what `ZOKIO_IO_FAULTS` holds): comma-separated `key=value` pairs,
 * `faults` and `ops` joined with `+`, e.g. `seed=42,rate=0.02,faults=fail+short+delay,maxDelayMs=3,ops=recv+send`.
 * Throws a `TypeError`
 * naming the bad part.
 *
 * @example
 * ```ts
 * import { parseFaultOptions } from '@zokio/io-driver';
 * parseFaultOptions('seed=7,rate=0.1,faults=fail+short'); // { seed: 7, rate: 0.1, faults: ['fail', 'short'] }
 * ```
 * @category Fault injection
 */
export function parseFaultOptions(text: string): FaultOptions {
  if (typeof text !== 'string') throw new TypeError(`Expected fault options as text, got ${describeValue(text)}`);
  const options: { -readonly [K in keyof FaultOptions]: FaultOptions[K] } = {};
  for (const part of text.split(',')) {
    if (part.trim() === '') continue;
    const [key, value = ''] = part.split('=').map((s) => s.trim());
    switch (key) {
      case 'seed':
      case 'rate':
      case 'maxDelayMs': {
        const n = Number(value);
        if (value === '' || !Number.isFinite(n))
          throw new TypeError(`Expected ${key} in fault options to be a number, got ${JSON.stringify(value)}`);
        options[key] = n;
        break;
      }
      case 'faults':
        options.faults = value.split('+').map((s) => s.trim()) as FaultKind[];
        break;
      case 'ops':
        options.ops = value.split('+').map((s) => s.trim()) as FaultOp[];
        break;
      default:
        throw new TypeError(
          `Expected fault options of the form seed=N,rate=R,faults=a+b,maxDelayMs=M,ops=c+d, got ${JSON.stringify(part)}`,
        );
    }
  }
  faultPlan(options); // checks the values now, so a bad environment variable fails at start-up
  return options;
}
