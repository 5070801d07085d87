/*
 * arena.h: how any native backend turns an op record's (arena id, offset, length) into a pointer, bounds-checked.
 * Shared by the io_uring (ops.c) and epoll (epoll_ops.c) backends.
 *
 * Ownership: a registered arena is an ArrayBuffer pinned by a napi_ref (napi_util.h's zk_arena_table) from its
 * registration until the backend is torn down, and the contract forbids resizing or transferring it while registered
 * (the TS loaders also mark it untransferable). So a pointer resolved here stays valid for every op in flight.
 */
#ifndef ZOKIO_ARENA_H
#define ZOKIO_ARENA_H

#include <stddef.h>
#include <stdint.h>

/* A registered arena: memory pinned by a napi_ref held until the backend is torn down. */
struct zk_arena_view {
  uint8_t *data; /* NULL: no arena with this id */
  size_t len;
};

/* Resolves (arena, offset, length) to a pointer: 0, or -EFAULT when any byte lies outside a registered arena. */
int zk_resolve_buf(const struct zk_arena_view *arenas, uint32_t narenas, uint32_t arena, uint32_t off, uint64_t len,
                   uint8_t **out);
/*
 * Resolves a NUL-terminated path: the NUL must lie inside the arena (else the kernel would read past it), and
 * within PATH_MAX bytes (else -ENAMETOOLONG, as the syscall would say).
 */
int zk_resolve_path(const struct zk_arena_view *arenas, uint32_t narenas, uint32_t arena, uint32_t off,
                    const char **out);
/* f64 offset -> kernel offset: -1 is "current position" ((u64)-1), else a non-negative integer below 2^63; -EINVAL. */
int zk_resolve_offset(double off, uint64_t *out);

#endif /* ZOKIO_ARENA_H */
