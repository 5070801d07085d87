/**
 * The backends the conformance suite runs on. `js` runs everywhere; `io_uring` and `epoll` run when their addon loads (built by
 * `pnpm --filter @zokio/io-driver build:native`), and then must pass the very same suite.
 */
import { createJsBackend, type BackendFactory } from '@zokio/io-driver';
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
