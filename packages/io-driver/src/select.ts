/**
 * Backend selection: which backends this machine can run, why not the others, and the one to use.
 *
 * `auto` probes in order — native addon loads → io_uring ring setup → epoll setup → `js` — and keeps the
 * reason each candidate was passed over, so `rt.describe()` can say why it fell back (seccomp `EPERM`, `ENOSYS`,
 * `io_uring_disabled`, addon not built). `ZOKIO_IO_DRIVER=io_uring|epoll|js` forces one; forcing a backend that
 * cannot run is an error, never a silent fallback.
 *
 * @module
 */
import { describeValue, ZokioError } from '@zokio/future';
import { createJsBackend } from './backends/js.js';
import { loadEpoll } from './backends/epoll.js';
import { loadIoUring } from './backends/io-uring.js';
import type { BackendFactory } from './contract.js';

/** A backend's name. @category Selection */
export type IoBackendName = 'io_uring' | 'epoll' | 'js';
/** What to run: a backend, or `auto`. @category Selection */
export type IoChoice = 'auto' | IoBackendName;

/** Whether one backend can run here, and why (not). @category Selection */
export interface BackendAvailability {
  readonly name: IoBackendName;
  readonly available: boolean;
  readonly reason: string;
}

/** The backend picked, and why. @category Selection */
export interface BackendSelection {
  readonly name: IoBackendName;
  readonly factory: BackendFactory;
  readonly reason: string;
}

const CHOICES: readonly IoChoice[] = ['auto', 'io_uring', 'epoll', 'js'];

/** The addon load and kernel probe: the same answer for the life of the process, so asked once. */
let ioUring: ReturnType<typeof loadIoUring> | undefined;
/** The same for the epoll backend (the addon load and one throwaway instance). */
let epoll: ReturnType<typeof loadEpoll> | undefined;

function availability(name: IoBackendName): BackendAvailability & { factory?: BackendFactory } {
  switch (name) {
    case 'io_uring': {
      const loaded = (ioUring ??= loadIoUring());
      if ('error' in loaded) return { name, available: false, reason: loaded.error };
      return {
        name,
        available: true,
        reason: `ring set up with ${loaded.probe.setupFlags.join(' | ') || 'no flags'}; ${loaded.probe.ops.length} ops supported`,
        factory: loaded.factory,
      };
    }
    case 'epoll': {
      const loaded = (epoll ??= loadEpoll());
      if ('error' in loaded) return { name, available: false, reason: loaded.error };
      return {
        name,
        available: true,
        reason: 'epoll with EPOLLONESHOT readiness, a native thread pool for files, one timerfd',
        factory: loaded.factory,
      };
    }
    case 'js':
      return { name, available: true, reason: "Node's callback fs API", factory: createJsBackend };
  }
}

/**
 * Which backends can run on this machine, each with the reason.
 *
 * @example
 * ```ts
 * import { probe } from '@zokio/io-driver';
 * for (const b of probe()) console.log(b.name, b.available, b.reason);
 * ```
 * @category Selection
 */
export function probe(): BackendAvailability[] {
  return (['io_uring', 'epoll', 'js'] as const).map((name) => {
    const { available, reason } = availability(name);
    return { name, available, reason };
  });
}

/**
 * Picks the backend for `choice` (`ZOKIO_IO_DRIVER` in `env` overrides it). `auto` takes the first available of
 * io_uring, epoll, js; a named backend that cannot run throws `ERR_ZOKIO_IO_UNAVAILABLE` with the reason.
 *
 * @example
 * ```ts
 * import { selectBackend } from '@zokio/io-driver';
 * const { name, reason } = selectBackend('auto');
 * ```
 * @category Selection
 */
export function selectBackend(choice: IoChoice = 'auto', env: NodeJS.ProcessEnv = process.env): BackendSelection {
  const fromEnv = env['ZOKIO_IO_DRIVER'];
  const requested = fromEnv !== undefined && fromEnv !== '' ? fromEnv : choice;
  const where = fromEnv !== undefined && fromEnv !== '' ? ' (from ZOKIO_IO_DRIVER)' : '';
  if (!CHOICES.includes(requested as IoChoice)) {
    throw new TypeError(`Expected io${where} to be one of ${CHOICES.join(', ')}, got ${describeValue(requested)}`);
  }
  if (requested !== 'auto') {
    const one = availability(requested as IoBackendName);
    if (!one.available || one.factory === undefined) {
      throw new ZokioError(
        'ERR_ZOKIO_IO_UNAVAILABLE',
        `Expected the ${requested} I/O backend${where} to be available, got: ${one.reason}`,
      );
    }
    return { name: one.name, factory: one.factory, reason: `forced${where || ' by config'}: ${one.reason}` };
  }
  const passed: string[] = [];
  for (const name of ['io_uring', 'epoll', 'js'] as const) {
    const one = availability(name);
    if (one.available && one.factory !== undefined) {
      const fallback = passed.length === 0 ? '' : ` (passed over: ${passed.join('; ')})`;
      return { name, factory: one.factory, reason: `auto: ${one.reason}${fallback}` };
    }
    passed.push(`${name}: ${one.reason}`);
  }
  throw new ZokioError(
    'ERR_ZOKIO_IO_UNAVAILABLE',
    `Expected some I/O backend to be available, got none: ${passed.join('; ')}`,
  );
}
