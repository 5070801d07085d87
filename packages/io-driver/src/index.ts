/**
 * # @zokio/io-driver
 *
 * zokio's completion-based I/O driver: ops are encoded into a shared staging buffer and flushed to a backend once
 * per tick; completions come back as 16-byte records, one callback per batch. One contract (`contract.ts`), several
 * backends: the native `io_uring` addon where it loads, and the `js` backend on Node's own `fs` everywhere.
 *
 * @example
 * ```ts
 * import { IoDriver, createJsBackend } from '@zokio/io-driver';
 * const driver = new IoDriver(createJsBackend);
 * driver.nop({ complete: (res) => console.log('nop completed with', res) });
 * await driver.shutdown();
 * ```
 *
 * @packageDocumentation
 */
export {
  IO,
  IoDriver,
  type CompletionHandler,
  type IoDriverMetrics,
  type IoDriverOptions,
  type SocketIoOptions,
} from './driver.js';
export { BufferGroup } from './buffer-group.js';
export { LentBuffer, LentSpan, MAX_LOANS, type BufferRef } from './lent-buffer.js';
export { lend, type Lend } from './lend.js';
export { acquireOrWait } from './acquire-or-wait.js';
export { OpFuture, ioDriverOf } from './op-future.js';
export { IGNORE, LendingOpFuture } from './lending-op-future.js';
export { BoundOp, type FdSource } from './bound-op.js';
export { FdGuard } from './fd-guard.js';
export { closeNow, submitClose } from './close-now.js';
export {
  AF_INET,
  AF_INET6,
  AF_UNIX,
  decodeSockaddr,
  domainOf,
  encodeSockaddr,
  ipv4ToNumber,
  numberToIpv4,
  SOCK_DGRAM,
  SOCK_STREAM,
  SOCKADDR_MAX_BYTES,
  type SocketAddress,
} from './sockaddr.js';
export { createJsBackend } from './backends/js.js';
export { IoError, UnexpectedEofError } from './errors.js';
export { FaultInjector, INJECTED_CODES, type FaultStats } from './faults/fault-injector.js';
export {
  FAULT_KINDS,
  FAULT_OPS,
  parseFaultOptions,
  type FaultKind,
  type FaultOp,
  type FaultOptions,
  type FaultPlan,
} from './faults/fault-plan.js';
export {
  probe,
  selectBackend,
  type BackendAvailability,
  type BackendSelection,
  type IoBackendName,
  type IoChoice,
} from './select.js';
export {
  AT_FDCWD,
  COMPLETION_BUFFER,
  COMPLETION_MORE,
  IOV_MAX,
  IOVEC_ENTRY_BYTES,
  MAX_GROUP_BUFFERS,
  MODE_BUFFER_SELECT,
  MODE_MULTISHOT,
  SocketOption,
  COMPLETION_RECORD_BYTES,
  CompletionField,
  Op,
  OP_RECORD_BYTES,
  OpField,
  type Backend,
  type BackendFactory,
} from './contract.js';
