/**
 * {@link isDetached}: whether a view's memory was transferred away — what every layer that takes caller bytes
 * checks before it copies from or into them, so a detached buffer is a typed error, not 0 bytes written.
 *
 * @module
 */
import { expected } from '@zokio/future';

/**
 * True if `view`'s memory was detached (transferred away, as by `structuredClone(buf, { transfer: [buf] })` or
 * `postMessage`): it reads as 0 bytes long and can no longer be read from or written.
 *
 * @throws TypeError ("Expected an ArrayBufferView, got …") unless `view` is an `ArrayBufferView` (a typed array, a
 *   `Buffer` or a `DataView`): a caller checks a view it was given, so anything else is a bad argument, not `false`.
 *
 * @example
 * ```ts
 * import { isDetached } from '@zokio/memory';
 * const bytes = new Uint8Array(8);
 * structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
 * isDetached(bytes); // true
 * ```
 * @category Memory
 */
export function isDetached(view: ArrayBufferView): boolean {
  if (!ArrayBuffer.isView(view)) expected('an ArrayBufferView', view, 'isDetached');
  const buffer = view.buffer;
  if (buffer.byteLength !== 0) return false; // the common case: one property read
  try {
    new Uint8Array(buffer, 0, 0); // throws only on a detached buffer
    return false;
  } catch {
    return true;
  }
}
