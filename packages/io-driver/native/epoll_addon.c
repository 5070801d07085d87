/*
 * epoll_addon.c: the JS surface of the epoll backend, exported by zokio_io.node next to the io_uring one:
 *
 *   createEpoll(staging, completions, onCompletions) -> handle
 *   epollRegisterArena(handle, id, arrayBuffer) (also for a lent arena: epoll pins nothing)
 *   epollReleaseArena(handle, id)
 *   epollFlush(handle, count)
 *   epollClose(handle)       throws EBUSY while ops are in flight; idempotent afterwards
 *   epollCreateBufferGroup(handle, group, capacity)                     throws EINVAL, EEXIST (code), "Expected … got …"
 *   epollProvideBuffer(handle, group, bufferId, arenaId, offset, length) throws EINVAL
 *
 * (socketAddress and setSocketOption are the addon's shared exports, sockets.c: they need no backend.)
 *
 * Each backend belongs to the napi_env (main thread or worker) that created it and is torn down by an async
 * cleanup hook when that env goes away. The handle is an external over a zk_epoll_box, so a handle that outlives
 * its backend (or the reverse) is detected rather than dereferenced.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epoll.h"

static void finalize_box(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct zk_epoll_box *box = data;
  /* A dropped handle: its backend closes once idle (else it would live until env cleanup). */
  if (box->e) {
    box->e->box = NULL;
    if (box->e->in_flight == 0 && !box->e->closing) zk_epoll_begin_close(box->e);
  }
  free(box);
}

/* The backend behind a handle (open or not), or NULL with a TypeError thrown. */
static struct zk_epoll_box *get_box(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &data) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "zokio_io: expected an epoll handle from createEpoll");
    return NULL;
  }
  return data;
}

/* The live backend behind a handle, or NULL with an exception thrown. */
static struct zk_epoll *get_open(napi_env env, napi_value v) {
  struct zk_epoll_box *box = get_box(env, v);
  if (!box) return NULL;
  if (!box->e || box->e->closing) {
    napi_throw_error(env, "ERR_ZOKIO_EPOLL_CLOSED", "zokio_io: the epoll backend is closed");
    return NULL;
  }
  return box->e;
}

static napi_value js_create_epoll(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  ZK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: createEpoll(staging, completions, fn)");
  void *staging, *completions;
  size_t staging_len, completions_len;
  napi_valuetype t;
  if (zk_get_buffer(env, argv[0], "staging", &staging, &staging_len)) return NULL;
  if (zk_get_buffer(env, argv[1], "completions", &completions, &completions_len)) return NULL;
  ZK_CHECK(env, napi_typeof(env, argv[2], &t));
  if (t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "zokio_io: expected onCompletions to be a function");
    return NULL;
  }
  if (staging_len < ZK_OP_RECORD_BYTES || completions_len < ZK_COMPLETION_RECORD_BYTES)
    return zk_throw_code(env, "ERR_OUT_OF_RANGE", "zokio_io: staging must hold one op record, completions one record");

  struct zk_epoll *e = calloc(1, sizeof *e);
  if (!e) return zk_throw_code(env, "ENOMEM", "zokio_io: out of memory");
  e->env = env;
  const char *step = "epoll_create1";
  int err = zk_epoll_init(e, &step);
  if (err < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s: %s", step, strerror(-err));
    free(e);
    return zk_throw_code(env, "ERR_ZOKIO_EPOLL_SETUP", msg);
  }
  e->staging = staging;
  e->staging_len = staging_len;
  e->completions = completions;
  e->completion_cap = completions_len / ZK_COMPLETION_RECORD_BYTES > UINT32_MAX
                          ? UINT32_MAX
                          : (uint32_t)(completions_len / ZK_COMPLETION_RECORD_BYTES);

  napi_value name, resource, handle;
  uv_loop_t *loop = NULL;
  struct zk_epoll_box *box = NULL;
  if (napi_create_reference(env, argv[0], 1, &e->staging_ref) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &e->completions_ref) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &e->callback_ref) != napi_ok ||
      napi_create_string_utf8(env, "zokio:epoll", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok || /* async_hooks resource (NULL is refused by Node 20) */
      napi_async_init(env, resource, name, &e->async_ctx) != napi_ok ||
      napi_get_uv_event_loop(env, &loop) != napi_ok || !(box = calloc(1, sizeof *box))) {
    zk_throw_last(env, "createEpoll");
    zk_epoll_free_unstarted(e);
    return NULL;
  }
  box->e = e;
  if (napi_create_external(env, box, finalize_box, NULL, &handle) != napi_ok) {
    free(box);
    zk_throw_last(env, "napi_create_external");
    zk_epoll_free_unstarted(e);
    return NULL;
  }
  e->box = box; /* from here the external owns the box: finalize_box frees it */

  int uverr = zk_epoll_start(e, loop);
  if (uverr == 0 && napi_add_async_cleanup_hook(env, zk_epoll_on_env_cleanup, e, &e->hook) != napi_ok) {
    e->hook = NULL;
    uverr = UV_ENOMEM;
  }
  if (uverr != 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "zokio_io: cannot watch the epoll fd: %s", uv_strerror(uverr));
    zk_epoll_begin_close(e); /* frees at once if the uv handle never started */
    return zk_throw_code(env, uv_err_name(uverr), msg);
  }
  return handle;
}

static napi_value js_register_arena(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  ZK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: epollRegisterArena(handle, id, buffer)");
  struct zk_epoll *e = get_open(env, argv[0]);
  if (!e) return NULL;
  return zk_arena_table_register(env, &e->arenas, argv[1], argv[2]);
}

static napi_value js_release_arena(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  ZK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: epollReleaseArena(handle, id)");
  struct zk_epoll *e = get_open(env, argv[0]);
  if (!e) return NULL;
  return zk_arena_table_release(env, &e->arenas, argv[1]);
}

static napi_value js_flush(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  ZK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: epollFlush(handle, count)");
  struct zk_epoll *e = get_open(env, argv[0]);
  uint32_t count;
  if (!e) return NULL;
  uint64_t max = e->staging_len / ZK_OP_RECORD_BYTES;
  if (zk_get_u32(env, argv[1], "count", 0, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max, &count)) return NULL;
  if (zk_epoll_flush(e, count) != 0)
    return zk_throw_code(env, "ENOMEM", "zokio_io: epollFlush: out of memory (no op taken)");
  return zk_undefined(env);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  ZK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  struct zk_epoll_box *box = argc < 1 ? NULL : get_box(env, argv[0]);
  if (!box) return argc < 1 ? zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: epollClose(handle)") : NULL;
  struct zk_epoll *e = box->e;
  if (!e || e->closing) return zk_undefined(env); /* already closed */
  if (e->in_flight > 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "zokio_io: close: %llu ops still in flight; close only after every final completion",
             (unsigned long long)e->in_flight);
    return zk_throw_code(env, "EBUSY", msg);
  }
  zk_epoll_begin_close(e);
  return zk_undefined(env);
}

/* Reads argument `v` as an integer in [min, max]; else throws EINVAL "Expected <what> to be …, got …". */
static int get_int_arg(napi_env env, napi_value v, const char *fn, const char *what, uint32_t min, uint32_t max,
                       uint32_t *out) {
  double d = 0;
  char msg[200];
  napi_valuetype t = napi_undefined;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number || napi_get_value_double(env, v, &d) != napi_ok) {
    snprintf(msg, sizeof msg, "zokio_io: %s: Expected %s to be an integer from %u to %u, got a value of type %s", fn,
             what, min, max, t == napi_string ? "string" : t == napi_undefined ? "undefined" : "other than number");
    zk_throw_code(env, "EINVAL", msg);
    return -1;
  }
  if (!(d >= min && d <= max) || d != (double)(uint32_t)d) {
    snprintf(msg, sizeof msg, "zokio_io: %s: Expected %s to be an integer from %u to %u, got %.17g", fn, what, min,
             max, d);
    zk_throw_code(env, "EINVAL", msg);
    return -1;
  }
  *out = (uint32_t)d;
  return 0;
}

static napi_value js_create_buffer_group(napi_env env, napi_callback_info info) {
  static const char fn[] = "epollCreateBufferGroup";
  size_t argc = 3;
  napi_value argv[3];
  ZK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: epollCreateBufferGroup(handle, group, capacity)");
  struct zk_epoll *e = get_open(env, argv[0]);
  uint32_t group, cap;
  char msg[200];
  if (!e) return NULL;
  if (get_int_arg(env, argv[1], fn, "group", 0, ZK_GROUP_MASK, &group)) return NULL;
  if (get_int_arg(env, argv[2], fn, "capacity", 1, ZK_MAX_GROUP_BUFFERS, &cap)) return NULL;
  if ((cap & (cap - 1)) != 0) {
    snprintf(msg, sizeof msg, "zokio_io: %s: Expected capacity to be a power of two from 1 to %u, got %u", fn,
             ZK_MAX_GROUP_BUFFERS, cap);
    return zk_throw_code(env, "EINVAL", msg);
  }
  int err = zk_groups_create(&e->groups, group, cap);
  if (err == -EEXIST) {
    snprintf(msg, sizeof msg, "zokio_io: %s: Expected an unused group id, got %u, which already exists", fn, group);
    return zk_throw_code(env, "EEXIST", msg);
  }
  if (err) return zk_throw_code(env, "ENOMEM", "zokio_io: epollCreateBufferGroup: out of memory");
  return zk_undefined(env);
}

static napi_value js_provide_buffer(napi_env env, napi_callback_info info) {
  static const char fn[] = "epollProvideBuffer";
  size_t argc = 6;
  napi_value argv[6];
  ZK_CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6)
    return zk_throw_code(env, "ERR_MISSING_ARGS",
                         "zokio_io: epollProvideBuffer(handle, group, bufferId, arenaId, offset, length)");
  struct zk_epoll *e = get_open(env, argv[0]);
  uint32_t group, bid, arena, off, len;
  char msg[240];
  if (!e) return NULL;
  if (get_int_arg(env, argv[1], fn, "group", 0, ZK_GROUP_MASK, &group)) return NULL;
  struct zk_bgroup *g = zk_groups_get(&e->groups, group);
  if (!g) {
    snprintf(msg, sizeof msg, "zokio_io: %s: Expected a group made by createBufferGroup, got group %u", fn, group);
    return zk_throw_code(env, "EINVAL", msg);
  }
  if (get_int_arg(env, argv[2], fn, "bufferId", 0, g->cap - 1, &bid)) return NULL;
  if (get_int_arg(env, argv[3], fn, "arenaId", 0, ZK_MAX_ARENA_ID - 1, &arena)) return NULL;
  if (get_int_arg(env, argv[4], fn, "offset", 0, UINT32_MAX, &off)) return NULL;
  /* Not 0: a receive into an empty buffer would return 0, which reads as EOF. */
  if (get_int_arg(env, argv[5], fn, "length", 1, UINT32_MAX, &len)) return NULL;
  uint8_t *data;
  if (zk_resolve_buf(e->arenas.views, e->arenas.n, arena, off, len, &data) != 0) {
    snprintf(msg, sizeof msg,
             "zokio_io: %s: Expected a buffer inside registered arena %u, got offset %u and length %u", fn, arena,
             off, len);
    return zk_throw_code(env, "EINVAL", msg);
  }
  zk_group_provide(g, bid, data, len);
  return zk_undefined(env);
}

napi_status zk_epoll_define(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"createEpoll", NULL, js_create_epoll, NULL, NULL, NULL, napi_enumerable, NULL},
      {"epollRegisterArena", NULL, js_register_arena, NULL, NULL, NULL, napi_enumerable, NULL},
      {"epollReleaseArena", NULL, js_release_arena, NULL, NULL, NULL, napi_enumerable, NULL},
      {"epollFlush", NULL, js_flush, NULL, NULL, NULL, napi_enumerable, NULL},
      {"epollClose", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"epollCreateBufferGroup", NULL, js_create_buffer_group, NULL, NULL, NULL, napi_enumerable, NULL},
      {"epollProvideBuffer", NULL, js_provide_buffer, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  return napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
