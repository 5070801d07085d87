/**
 * Errno values for the `js` backend: results are negated Linux errnos (`contract.ts`), while Node reports errors as
 * `code` strings — the libuv name (`ECONNRESET`) or a Node-only one (`ERR_STREAM_DESTROYED`). {@link errnoOf} maps
 * both to one negated errno, so a socket error reads the same whatever the backend.
 *
 * @module
 */
import { constants } from 'node:os';

/** Errno numbers by name (Node's table for this platform). */
export const E = constants.errno;

const BY_NAME = new Map<string, number>(Object.entries(constants.errno));

/** Node-only codes that mean a POSIX error. Writes to a stream that is gone are a broken pipe, as `send(2)` says. */
const NODE_CODES = new Map<string, number>([
  ['ERR_STREAM_DESTROYED', E.EPIPE],
  ['ERR_STREAM_WRITE_AFTER_END', E.EPIPE],
  ['ERR_SOCKET_CLOSED', E.EPIPE],
  ['ERR_SOCKET_CLOSED_BEFORE_CONNECTION', E.ECONNABORTED],
  ['ERR_SOCKET_DGRAM_NOT_CONNECTED', E.EDESTADDRREQ],
  ['ERR_SOCKET_DGRAM_IS_CONNECTED', E.EISCONN],
  ['ERR_SOCKET_DGRAM_NOT_RUNNING', E.EBADF],
  ['ERR_SOCKET_BAD_PORT', E.EINVAL],
  ['ERR_SOCKET_BAD_BUFFER_SIZE', E.EINVAL],
  ['ERR_INVALID_ARG_TYPE', E.EINVAL],
  ['ERR_INVALID_ARG_VALUE', E.EINVAL],
  ['ERR_OUT_OF_RANGE', E.EINVAL],
  ['ERR_SERVER_ALREADY_LISTEN', E.EINVAL],
  ['ERR_SERVER_NOT_RUNNING', E.EBADF],
]);

/** The negated errno of anything Node may throw or report; `-EIO` when nothing better is known. */
export function errnoOf(error: unknown): number {
  if (typeof error === 'object' && error !== null) {
    const { code, errno } = error as { code?: unknown; errno?: unknown };
    if (typeof code === 'string') {
      const n = BY_NAME.get(code) ?? NODE_CODES.get(code);
      if (n !== undefined) return -n;
    }
    if (typeof errno === 'number' && errno !== 0) return -Math.abs(errno);
  }
  return -E.EIO;
}
