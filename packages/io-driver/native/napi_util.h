/*
 * napi_util.h: Node-API plumbing shared by the native backends (io_uring: addon.c/ring.c; epoll: epoll_addon.c and
 * epoll.c): argument checks that throw Node-shaped errors, the registered-arena table, and the one-call-per-batch
 * delivery of completions to JS.
 */
#ifndef ZOKIO_NAPI_UTIL_H
#define ZOKIO_NAPI_UTIL_H

#include <node_api.h>
#include <stdint.h>

#include "arena.h"

/* Largest arena id: ids are small dense integers (0, 1, 2, ... per pool), indexed directly. */
#define ZK_MAX_ARENA_ID (1U << 16)

/* Throws (unless an exception is already pending) and returns NULL from the calling napi callback. */
#define ZK_CHECK(env, call)                                                     \
  do {                                                                          \
    if ((call) != napi_ok) {                                                    \
      zk_throw_last((env), #call);                                              \
      return NULL;                                                              \
    }                                                                           \
  } while (0)

/* Throws ERR_ZOKIO_NAPI with the last napi error, unless an exception is already pending. */
void zk_throw_last(napi_env env, const char *what);
/* Throws an Error with `code`; returns NULL for `return zk_throw_code(...)`. */
napi_value zk_throw_code(napi_env env, const char *code, const char *msg);
napi_value zk_undefined(napi_env env);
/* Reads an ArrayBuffer argument, refusing detached and resizable ones. 0, or -1 with an exception thrown. */
int zk_get_buffer(napi_env env, napi_value v, const char *what, void **data, size_t *len);
/* Reads an integer in [min, max]. 0, or -1 with a RangeError thrown. */
int zk_get_u32(napi_env env, napi_value v, const char *what, uint32_t min, uint32_t max, uint32_t *out);

/*
 * The arenas a backend may address, by id. `refs[id]` pins `views[id]`'s ArrayBuffer from registration until
 * zk_arena_table_free (backend teardown), or until zk_arena_table_release for an arena lent for some ops only (the
 * driver releases it after the final completion of the last op naming it), so every pointer resolved through
 * `views` outlives the ops using it.
 */
struct zk_arena_table {
  struct zk_arena_view *views;
  napi_ref *refs;
  uint32_t n, cap; /* ids [0, n) may be registered; storage for [0, cap) */
};

/* registerArena(handle, id, buffer)'s work, given the id and buffer arguments. NULL with an exception, or undefined. */
napi_value zk_arena_table_register(napi_env env, struct zk_arena_table *t, napi_value id_arg, napi_value buffer_arg);
/*
 * releaseArena(handle, id)'s work: drops arena `id`'s ref, so the id may name another buffer. The caller (the
 * driver) guarantees that no op in flight names it. NULL with an exception (an id never registered), or undefined.
 */
napi_value zk_arena_table_release(napi_env env, struct zk_arena_table *t, napi_value id_arg);
/* Drops every ref and frees the table (the table is left empty). */
void zk_arena_table_free(napi_env env, struct zk_arena_table *t);

/*
 * Calls `callback_ref`'s function with (count) through napi_make_callback, so process.nextTick and promise jobs run
 * after it as for any Node callback; an exception it throws is reported as uncaught. Needs an open handle scope.
 */
void zk_call_js(napi_env env, napi_async_context ctx, napi_ref callback_ref, uint32_t count);

#endif /* ZOKIO_NAPI_UTIL_H */
