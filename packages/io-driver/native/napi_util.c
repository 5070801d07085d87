/* napi_util.c: see napi_util.h. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "napi_util.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>

void zk_throw_last(napi_env env, const char *what) {
  bool pending = false;
  if (napi_is_exception_pending(env, &pending) == napi_ok && pending) return;
  const napi_extended_error_info *info = NULL;
  char msg[256];
  snprintf(msg, sizeof msg, "zokio_io: %s failed: %s", what,
           napi_get_last_error_info(env, &info) == napi_ok && info && info->error_message ? info->error_message
                                                                                           : "unknown error");
  napi_throw_error(env, "ERR_ZOKIO_NAPI", msg);
}

napi_value zk_throw_code(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

napi_value zk_undefined(napi_env env) {
  napi_value v = NULL;
  napi_get_undefined(env, &v);
  return v;
}

int zk_get_buffer(napi_env env, napi_value v, const char *what, void **data, size_t *len) {
  bool is_ab = false, detached = false, resizable = false;
  char msg[160];
  if (napi_is_arraybuffer(env, v, &is_ab) != napi_ok || !is_ab) {
    snprintf(msg, sizeof msg, "zokio_io: expected %s to be an ArrayBuffer", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
    return -1;
  }
  if (napi_is_detached_arraybuffer(env, v, &detached) != napi_ok || detached) {
    snprintf(msg, sizeof msg, "zokio_io: %s is detached", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return -1;
  }
  napi_value prop;
  if (napi_get_named_property(env, v, "resizable", &prop) == napi_ok) napi_get_value_bool(env, prop, &resizable);
  if (resizable) {
    snprintf(msg, sizeof msg, "zokio_io: %s must not be a resizable ArrayBuffer", what);
    napi_throw_type_error(env, "ERR_INVALID_ARG_VALUE", msg);
    return -1;
  }
  if (napi_get_arraybuffer_info(env, v, data, len) != napi_ok) {
    zk_throw_last(env, "napi_get_arraybuffer_info");
    return -1;
  }
  return 0;
}

int zk_get_u32(napi_env env, napi_value v, const char *what, uint32_t min, uint32_t max, uint32_t *out) {
  double d = 0;
  char msg[160];
  if (napi_get_value_double(env, v, &d) != napi_ok || !(d >= min && d <= max) || d != (double)(uint32_t)d) {
    snprintf(msg, sizeof msg, "zokio_io: expected %s to be an integer from %u to %u", what, min, max);
    napi_throw_range_error(env, "ERR_OUT_OF_RANGE", msg);
    return -1;
  }
  *out = (uint32_t)d;
  return 0;
}

napi_value zk_arena_table_register(napi_env env, struct zk_arena_table *t, napi_value id_arg, napi_value buffer_arg) {
  uint32_t id;
  void *data;
  size_t len;
  if (zk_get_u32(env, id_arg, "arena id", 0, ZK_MAX_ARENA_ID - 1, &id)) return NULL;
  if (zk_get_buffer(env, buffer_arg, "arena", &data, &len)) return NULL;
  if (len == 0 || data == NULL) return zk_throw_code(env, "ERR_OUT_OF_RANGE", "zokio_io: an arena must not be empty");
  if (id < t->n && t->views[id].data != NULL) {
    if (t->views[id].data == data && t->views[id].len == len) return zk_undefined(env); /* same buffer again */
    return zk_throw_code(env, "ERR_ZOKIO_ARENA_EXISTS", "zokio_io: arena id already registered with another buffer");
  }
  if (id >= t->cap) {
    uint32_t cap = t->cap ? t->cap : 8;
    while (cap <= id) cap *= 2;
    struct zk_arena_view *views = realloc(t->views, cap * sizeof *views);
    if (!views) return zk_throw_code(env, "ENOMEM", "zokio_io: out of memory");
    t->views = views;
    napi_ref *refs = realloc(t->refs, cap * sizeof *refs);
    if (!refs) return zk_throw_code(env, "ENOMEM", "zokio_io: out of memory");
    t->refs = refs;
    for (uint32_t i = t->cap; i < cap; i++) {
      t->views[i] = (struct zk_arena_view){NULL, 0};
      t->refs[i] = NULL;
    }
    t->cap = cap;
  }
  ZK_CHECK(env, napi_create_reference(env, buffer_arg, 1, &t->refs[id]));
  t->views[id] = (struct zk_arena_view){data, len};
  if (id >= t->n) t->n = id + 1;
  return zk_undefined(env);
}

napi_value zk_arena_table_release(napi_env env, struct zk_arena_table *t, napi_value id_arg) {
  uint32_t id;
  if (zk_get_u32(env, id_arg, "arena id", 0, ZK_MAX_ARENA_ID - 1, &id)) return NULL;
  if (id >= t->n || t->views[id].data == NULL)
    return zk_throw_code(env, "ERR_ZOKIO_NO_ARENA", "zokio_io: releaseArena: expected a registered arena id");
  napi_ref ref = t->refs[id];
  t->views[id] = (struct zk_arena_view){NULL, 0};
  t->refs[id] = NULL;
  ZK_CHECK(env, napi_delete_reference(env, ref));
  return zk_undefined(env);
}

void zk_arena_table_free(napi_env env, struct zk_arena_table *t) {
  for (uint32_t i = 0; i < t->n; i++)
    if (t->refs[i]) napi_delete_reference(env, t->refs[i]); /* teardown: nothing to report a failure to */
  free(t->views);
  free(t->refs);
  *t = (struct zk_arena_table){NULL, NULL, 0, 0};
}

void zk_call_js(napi_env env, napi_async_context ctx, napi_ref callback_ref, uint32_t count) {
  napi_value cb, recv, arg, result;
  if (napi_get_reference_value(env, callback_ref, &cb) != napi_ok || cb == NULL) return;
  /* napi_make_callback converts `recv` with ToObject, so undefined would throw: pass the global object. */
  if (napi_get_global(env, &recv) != napi_ok || napi_create_uint32(env, count, &arg) != napi_ok) return;
  napi_status s = napi_make_callback(env, ctx, recv, cb, 1, &arg, &result);
  if (s == napi_pending_exception) {
    /* The callback threw: report it as an uncaught exception, as Node does for its own callbacks. */
    napi_value err;
    if (napi_get_and_clear_last_exception(env, &err) == napi_ok) napi_fatal_exception(env, err);
  }
}
