/*
 * sockets.h: what both native backends share for sockets and vectored I/O, all synchronous and stateless.
 *
 * - zk_resolve_iovecs: turns an op's iovec table (contract.h's zk_iovec_entry, written by JS) into a struct iovec
 *   array *in place*. The table is an arena buffer the backend owns until the op's final completion (contract rule
 *   2), so the kernel (or a pool thread) may read the iovecs at any time before then; entries are 16 bytes, exactly
 *   the size of a struct iovec on 64-bit Linux (asserted), which is what makes the in-place rewrite possible.
 * - zk_resolve_addr: an op's optional struct sockaddr.
 * - zk_set_socket_option / zk_socket_address: the synchronous socket helpers behind the addon's `setSocketOption`
 *   and `socketAddress` exports (sockets.c), the same for every backend.
 */
#ifndef ZOKIO_SOCKETS_H
#define ZOKIO_SOCKETS_H

#include <node_api.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include "arena.h"
#include "contract.h"

/*
 * Rewrites the `count` entries at `table` (already resolved, count * 16 bytes) into struct iovecs, resolving each
 * buffer against `arenas`. 0 and *out = the iovec array, or -EINVAL (count 0 or above ZK_IOV_MAX, a reserved field
 * set) or -EFAULT (a buffer outside its arena). On error the table may be partly rewritten: it belongs to the
 * backend until the op's (failed) completion and JS rewrites it before any reuse.
 */
int zk_resolve_iovecs(const struct zk_arena_view *arenas, uint32_t narenas, uint8_t *table, uint32_t count,
                      struct iovec **out);

/* The op's address: 0 with *addr NULL and *len 0 when addr length is 0; -EFAULT outside the arena; -EINVAL if too long. */
int zk_resolve_addr(const struct zk_arena_view *arenas, uint32_t narenas, const struct zk_op_record *rec,
                    struct sockaddr **addr, socklen_t *len);

/* setsockopt for a contract SocketOption: 0 or -errno (-EINVAL for an unknown option). */
int zk_set_socket_option(int fd, uint32_t option, int32_t value);
/* IP_ADD_MEMBERSHIP (join) or IP_DROP_MEMBERSHIP of IPv4 `group` on the interface with address `iface` (host order;
 * 0: the kernel picks). Returns 0 or a negated errno. */
int zk_set_membership(int fd, int join, uint32_t group, uint32_t iface);

/* getsockname (peer 0) or getpeername (peer 1) into out (cap bytes): the address length, or -errno. */
int zk_socket_address(int fd, int peer, void *out, uint32_t cap);

/* napi: socketAddress(fd, peer, out: Uint8Array) -> number; setSocketOption(fd, option, value) -> number. */
napi_value zk_js_socket_address(napi_env env, napi_callback_info info);
napi_value zk_js_set_socket_option(napi_env env, napi_callback_info info);
napi_value zk_js_set_membership(napi_env env, napi_callback_info info);

#endif /* ZOKIO_SOCKETS_H */
