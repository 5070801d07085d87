/**
 * The backends the conformance suite runs on. `js` runs everywhere; `io_uring` and `epoll` run when their addon loads (built by
 * `pnpm --filter @zokio/io-driver build:native`), and then must pass the very same suite.
 */
import { createJsBackend, FaultInjector, type BackendFactory } from '@zokio/io-driver';
import { loadEpoll } from '../src/backends/epoll.js';
import { loadIoUring } from '../src/backends/io-uring.js';

export interface BackendCase {
  readonly name: string;
  readonly factory: BackendFactory;
}

const ioUring = loadIoUring();
const epoll = loadEpoll();

/**
 * `select.test.ts` fails if io_uring should load here and does not, so this table never quietly shrinks to `js`.
 */
export const backends: BackendCase[] = [
  { name: 'js', factory: createJsBackend },
  ...('factory' in ioUring ? [{ name: 'io_uring', factory: ioUring.factory }] : []),
  ...('factory' in epoll ? [{ name: 'epoll', factory: epoll.factory }] : []),
];

/**
 * The richest backend here behind a `FaultInjector` at rate 0: the conformance suites run on it too, which proves
 * the injector transparent when it injects nothing (so what a fault suite sees is the fault, not the wrapper).
 */
const richest = backends.find((b) => b.name === 'io_uring') ?? backends[0]!;
export const throughInjector: BackendCase = {
  name: `${richest.name} through a FaultInjector at rate 0`,
  factory: new FaultInjector({ rate: 0 }).wrap(richest.factory),
};
