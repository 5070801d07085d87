/**
 * The backends the conformance suite runs on. `js` runs everywhere; `io_uring` runs when its addon loads (built by
 * `pnpm --filter @zokio/io-driver build:native`), and then must pass the very same suite.
 */
import { createJsBackend, type BackendFactory } from '@zokio/io-driver';

export interface BackendCase {
  readonly name: string;
  readonly factory: BackendFactory;
}

export const backends: BackendCase[] = [{ name: 'js', factory: createJsBackend }];
