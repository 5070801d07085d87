/*
 * addon.c: the JS surface of zokio_io.node (raw Node-API, NAPI_VERSION 8). Thin: argument checking and object
 * building; the engine is ring.c.
 *
 *   createRing(staging, completions, onCompletions, entries) -> handle
 *   registerArena(handle, id, arrayBuffer)
 *   lendArena(handle, id, arrayBuffer), releaseArena(handle, id)
 *   flush(handle, count)
 *   close(handle)            throws EBUSY while ops are in flight; idempotent afterwards
 *   ringInfo(handle)         -> { setupFlags, features, sqEntries, cqEntries, completionCapacity, ops, fixedBuffers }
 *   createBufferGroup(handle, group, capacity)                 throws EEXIST / EINVAL / EOPNOTSUPP
 *   provideBuffer(handle, group, bufferId, arena, offset, length)  throws EINVAL
 *   socketAddress(fd, peer, out), setSocketOption(fd, option, value), setMembership(fd, join, group, iface):
 *   synchronous socket helpers (sockets.c)
 *   probe()                  -> { ok, reason?, setupFlags, features, ops }
 *   createEpoll, epollRegisterArena, epollFlush, epollClose: the epoll backend (epoll_addon.c)
 *
 * Every ring belongs to the napi_env (main thread or worker) that created it and is torn down by an async cleanup
 * hook when that env goes away; nothing here is process-global, so the addon loads in any number of workers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "epoll.h"
#include "ring.h"
#include "sockets.h"

/* Largest SQ the caller may ask for (the kernel's own limit is 32768). */
#define ZK_MAX_ENTRIES 32768U

#define CHECK(env, call) ZK_CHECK(env, call)

static void finalize_box(napi_env env, void *data, void *hint) {
  (void)env;
  (void)hint;
  struct zk_box *box = data;
  /* A dropped handle: its ring closes once idle (an unreachable ring would otherwise live until env cleanup). */
  if (box->ring) {
    box->ring->box = NULL;
    if (box->ring->in_flight == 0 && !box->ring->closing) zk_ring_begin_close(box->ring);
  }
  free(box);
}

/* The live ring behind a handle, or NULL with an exception thrown. */
static struct zk_ring *get_ring(napi_env env, napi_value v) {
  void *data = NULL;
  napi_valuetype t;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external || napi_get_value_external(env, v, &data) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "zokio_io: expected a ring handle from createRing");
    return NULL;
  }
  struct zk_box *box = data;
  if (!box->ring || box->ring->closing) {
    napi_throw_error(env, "ERR_ZOKIO_RING_CLOSED", "zokio_io: the ring is closed");
    return NULL;
  }
  return box->ring;
}

static napi_value string_array(napi_env env, const char *const *items, size_t n) {
  napi_value arr, s;
  if (napi_create_array_with_length(env, n, &arr) != napi_ok) return NULL;
  for (size_t i = 0; i < n; i++) {
    if (napi_create_string_utf8(env, items[i], NAPI_AUTO_LENGTH, &s) != napi_ok) return NULL;
    if (napi_set_element(env, arr, (uint32_t)i, s) != napi_ok) return NULL;
  }
  return arr;
}

/* Fills setupFlags, features and ops of `obj` from a ring. */
static int describe(napi_env env, const struct zk_uring *u, napi_value obj) {
  const char *names[32];
  napi_value v;
  size_t n = zk_uring_setup_flag_names(u->setup_flags, names, 32);
  if (!(v = string_array(env, names, n)) || napi_set_named_property(env, obj, "setupFlags", v) != napi_ok) return -1;
  n = zk_uring_feature_names(u->features, names, 32);
  if (!(v = string_array(env, names, n)) || napi_set_named_property(env, obj, "features", v) != napi_ok) return -1;
  n = 0;
  for (unsigned op = 0; op < ZK_OP_COUNT; op++)
    if (zk_op_available(u, op)) names[n++] = zk_op_names[op];
  if (!(v = string_array(env, names, n)) || napi_set_named_property(env, obj, "ops", v) != napi_ok) return -1;
  return 0;
}

static napi_value js_create_ring(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 4)
    return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: createRing(staging, completions, fn, entries, cqEntries?)");
  void *staging, *completions;
  size_t staging_len, completions_len;
  uint32_t entries;
  napi_valuetype t;
  if (zk_get_buffer(env, argv[0], "staging", &staging, &staging_len)) return NULL;
  if (zk_get_buffer(env, argv[1], "completions", &completions, &completions_len)) return NULL;
  CHECK(env, napi_typeof(env, argv[2], &t));
  if (t != napi_function) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "zokio_io: expected onCompletions to be a function");
    return NULL;
  }
  if (zk_get_u32(env, argv[3], "entries", 1, ZK_MAX_ENTRIES, &entries)) return NULL;
  uint32_t cq_entries = 0;
  if (argc >= 5 && zk_get_u32(env, argv[4], "cqEntries", 0, 2 * 65536, &cq_entries)) return NULL;
  if (staging_len < ZK_OP_RECORD_BYTES || completions_len < ZK_COMPLETION_RECORD_BYTES)
    return zk_throw_code(env, "ERR_OUT_OF_RANGE", "zokio_io: staging must hold one op record, completions one record");

  struct zk_ring *r = calloc(1, sizeof *r);
  if (!r) return zk_throw_code(env, "ENOMEM", "zokio_io: out of memory");
  r->env = env;
  zk_slots_init(&r->slots);
  const char *step = "io_uring_setup";
  int err = zk_uring_init(&r->u, entries, cq_entries, &step);
  if (err < 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "%s: %s (%s)", step, zk_errno_name(err), strerror(-err));
    free(r);
    return zk_throw_code(env, zk_errno_name(err), msg);
  }
  zk_ring_setup_fixed(r);
  r->staging = staging;
  r->staging_len = staging_len;
  r->completions = completions;
  r->completion_cap = completions_len / ZK_COMPLETION_RECORD_BYTES > UINT32_MAX
                          ? UINT32_MAX
                          : (uint32_t)(completions_len / ZK_COMPLETION_RECORD_BYTES);

  napi_value name, resource, handle;
  uv_loop_t *loop = NULL;
  struct zk_box *box = NULL;
  if (napi_create_reference(env, argv[0], 1, &r->staging_ref) != napi_ok ||
      napi_create_reference(env, argv[1], 1, &r->completions_ref) != napi_ok ||
      napi_create_reference(env, argv[2], 1, &r->callback_ref) != napi_ok ||
      napi_create_string_utf8(env, "zokio:io_uring", NAPI_AUTO_LENGTH, &name) != napi_ok ||
      napi_create_object(env, &resource) != napi_ok || /* async_hooks resource (NULL is refused by Node 20) */
      napi_async_init(env, resource, name, &r->async_ctx) != napi_ok ||
      napi_get_uv_event_loop(env, &loop) != napi_ok || !(box = calloc(1, sizeof *box))) {
    zk_throw_last(env, "createRing");
    zk_ring_free_unstarted(r);
    return NULL;
  }
  box->ring = r;
  if (napi_create_external(env, box, finalize_box, NULL, &handle) != napi_ok) {
    free(box);
    zk_throw_last(env, "napi_create_external");
    zk_ring_free_unstarted(r);
    return NULL;
  }
  r->box = box; /* from here the external owns the box: finalize_box frees it */

  int uverr = zk_ring_start(r, loop);
  if (uverr == 0 && napi_add_async_cleanup_hook(env, zk_ring_on_env_cleanup, r, &r->hook) != napi_ok) {
    r->hook = NULL;
    uverr = UV_ENOMEM;
  }
  if (uverr != 0) {
    char msg[128];
    snprintf(msg, sizeof msg, "zokio_io: cannot watch the ring fd: %s", uv_strerror(uverr));
    if (r->handles_open == 0)
      zk_ring_free_unstarted(r);
    else
      zk_ring_begin_close(r);
    return zk_throw_code(env, uv_err_name(uverr), msg);
  }
  return handle;
}

/*
 * registerArena(handle, id, buffer) (`pin` 1) and lendArena (`pin` 0): the arena table's registration, and for a
 * registered arena a fixed buffer where the kernel lets us; a lent one never is (it is released again).
 */
static napi_value add_arena(napi_env env, napi_callback_info info, const char *usage, int pin) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return zk_throw_code(env, "ERR_MISSING_ARGS", usage);
  struct zk_ring *r = get_ring(env, argv[0]);
  if (!r) return NULL;
  napi_value result = zk_arena_table_register(env, &r->arenas, argv[1], argv[2]);
  uint32_t id;
  /* Registered (the id argument was valid): a fixed buffer too, if pinned. */
  if (pin && result && napi_get_value_uint32(env, argv[1], &id) == napi_ok) zk_ring_register_fixed(r, id);
  return result;
}

static napi_value js_register_arena(napi_env env, napi_callback_info info) {
  return add_arena(env, info, "zokio_io: registerArena(handle, id, buffer)", 1);
}

static napi_value js_lend_arena(napi_env env, napi_callback_info info) {
  return add_arena(env, info, "zokio_io: lendArena(handle, id, buffer)", 0);
}

/* releaseArena(handle, id): a lent arena only. A fixed buffer stays registered with the kernel for the ring's life. */
static napi_value js_release_arena(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: releaseArena(handle, id)");
  struct zk_ring *r = get_ring(env, argv[0]);
  if (!r) return NULL;
  uint32_t id;
  if (napi_get_value_uint32(env, argv[1], &id) == napi_ok && r->fixed && id < r->nfixed && r->fixed[id])
    return zk_throw_code(env, "ERR_ZOKIO_ARENA_PINNED", "zokio_io: releaseArena: expected a lent arena, got a fixed buffer");
  return zk_arena_table_release(env, &r->arenas, argv[1]);
}

/* Throws an Error with code = errno name and "zokio_io: <what>: expected <expected>, got <got>". */
static napi_value throw_errno(napi_env env, int err, const char *what, const char *expected, const char *got) {
  char msg[512];
  snprintf(msg, sizeof msg, "zokio_io: %s: expected %s, got %s", what, expected, got);
  const char *code = err == -EEXIST ? "EEXIST" : err == -EOPNOTSUPP ? "EOPNOTSUPP" : zk_errno_name(err);
  return zk_throw_code(env, code, msg);
}

static napi_value js_create_buffer_group(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 3) return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: createBufferGroup(handle, group, capacity)");
  struct zk_ring *r = get_ring(env, argv[0]);
  if (!r) return NULL;
  uint32_t group, capacity;
  char got[96];
  if (napi_get_value_uint32(env, argv[1], &group) != napi_ok || napi_get_value_uint32(env, argv[2], &capacity) != napi_ok)
    return zk_throw_code(env, "EINVAL", "zokio_io: createBufferGroup: expected group and capacity to be numbers");
  if (group > ZK_GROUP_MASK) {
    snprintf(got, sizeof got, "%u", group);
    return throw_errno(env, -EINVAL, "createBufferGroup", "a group id from 0 to 65535", got);
  }
  if (capacity == 0 || capacity > ZK_MAX_GROUP_BUFFERS || (capacity & (capacity - 1)) != 0) {
    snprintf(got, sizeof got, "%u", capacity);
    return throw_errno(env, -EINVAL, "createBufferGroup", "a capacity that is a power of two from 1 to 32768", got);
  }
  int err = zk_ring_create_buffer_group(r, group, capacity);
  if (err == 0) return zk_undefined(env);
  if (err == -EEXIST) {
    snprintf(got, sizeof got, "group %u, which already exists", group);
    return throw_errno(env, err, "createBufferGroup", "an unused group id", got);
  }
  if (err == -EOPNOTSUPP)
    return throw_errno(env, err, "createBufferGroup", "a kernel with provided-buffer rings (Linux 5.19+)",
                       "a kernel that refused IORING_REGISTER_PBUF_RING");
  snprintf(got, sizeof got, "%s (%s)", zk_errno_name(err), strerror(-err));
  return throw_errno(env, err, "createBufferGroup", "IORING_REGISTER_PBUF_RING to succeed", got);
}

static napi_value js_provide_buffer(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 6)
    return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: provideBuffer(handle, group, bufferId, arena, offset, length)");
  struct zk_ring *r = get_ring(env, argv[0]);
  if (!r) return NULL;
  uint32_t v[5];
  for (int i = 0; i < 5; i++)
    if (napi_get_value_uint32(env, argv[i + 1], &v[i]) != napi_ok)
      return zk_throw_code(env, "EINVAL", "zokio_io: provideBuffer: expected group, bufferId, arena, offset and length "
                                          "to be non-negative integers");
  uint32_t group = v[0], bid = v[1], arena = v[2], offset = v[3], length = v[4];
  char got[160];
  const struct zk_pbuf_group *grp = zk_pbuf_find(&r->pbufs, group);
  if (!grp) {
    snprintf(got, sizeof got, "group %u, which createBufferGroup did not create", group);
    return throw_errno(env, -EINVAL, "provideBuffer", "a buffer group of this ring", got);
  }
  if (bid >= grp->entries) {
    snprintf(got, sizeof got, "%u", bid);
    char expected[64];
    snprintf(expected, sizeof expected, "a buffer id from 0 to %u", grp->entries - 1);
    return throw_errno(env, -EINVAL, "provideBuffer", expected, got);
  }
  if (grp->held[bid]) {
    snprintf(got, sizeof got, "buffer %u of group %u, which the backend already holds", bid, group);
    return throw_errno(env, -EINVAL, "provideBuffer", "a buffer id not already provided", got);
  }
  int err = zk_ring_provide_buffer(r, group, bid, arena, offset, length);
  if (err == 0) return zk_undefined(env);
  snprintf(got, sizeof got, "%u bytes at offset %u of arena %u", length, offset, arena);
  return throw_errno(env, -EINVAL, "provideBuffer", "a non-empty buffer inside a registered arena", got);
}

static napi_value js_flush(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 2) return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: flush(handle, count)");
  struct zk_ring *r = get_ring(env, argv[0]);
  uint32_t count;
  if (!r) return NULL;
  uint64_t max = r->staging_len / ZK_OP_RECORD_BYTES;
  if (zk_get_u32(env, argv[1], "count", 0, max > UINT32_MAX ? UINT32_MAX : (uint32_t)max, &count)) return NULL;
  if (zk_ring_flush(r, count) != 0) return zk_throw_code(env, "ENOMEM", "zokio_io: flush: out of memory (no op taken)");
  return zk_undefined(env);
}

static napi_value js_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  void *data = NULL;
  napi_valuetype t;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1 || napi_typeof(env, argv[0], &t) != napi_ok || t != napi_external ||
      napi_get_value_external(env, argv[0], &data) != napi_ok) {
    napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", "zokio_io: expected a ring handle from createRing");
    return NULL;
  }
  struct zk_ring *r = ((struct zk_box *)data)->ring;
  if (!r || r->closing) return zk_undefined(env); /* already closed */
  if (r->in_flight > 0) {
    char msg[160];
    snprintf(msg, sizeof msg, "zokio_io: close: %llu ops still in flight; close only after every final completion",
             (unsigned long long)r->in_flight);
    return zk_throw_code(env, "EBUSY", msg);
  }
  zk_ring_begin_close(r);
  return zk_undefined(env);
}

static napi_value js_ring_info(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], obj, v;
  CHECK(env, napi_get_cb_info(env, info, &argc, argv, NULL, NULL));
  if (argc < 1) return zk_throw_code(env, "ERR_MISSING_ARGS", "zokio_io: ringInfo(handle)");
  struct zk_ring *r = get_ring(env, argv[0]);
  if (!r) return NULL;
  CHECK(env, napi_create_object(env, &obj));
  if (describe(env, &r->u, obj)) {
    zk_throw_last(env, "ringInfo");
    return NULL;
  }
  CHECK(env, napi_create_uint32(env, r->u.sq_entries, &v));
  CHECK(env, napi_set_named_property(env, obj, "sqEntries", v));
  CHECK(env, napi_create_uint32(env, r->u.cq_entries, &v));
  CHECK(env, napi_set_named_property(env, obj, "cqEntries", v));
  CHECK(env, napi_create_uint32(env, r->completion_cap, &v));
  CHECK(env, napi_set_named_property(env, obj, "completionCapacity", v));
  CHECK(env, napi_get_boolean(env, r->fixed_state == 1, &v));
  CHECK(env, napi_set_named_property(env, obj, "fixedBuffers", v));
  return obj;
}

/* kernel.io_uring_disabled: 0 enabled, 1 only for io_uring_group members, 2 disabled; -1 when absent (< 6.6). */
static int io_uring_disabled(void) {
  FILE *f = fopen("/proc/sys/kernel/io_uring_disabled", "re");
  if (!f) return -1;
  int v = -1;
  if (fscanf(f, "%d", &v) != 1) v = -1;
  fclose(f);
  return v;
}

static napi_value js_probe(napi_env env, napi_callback_info info) {
  (void)info;
  napi_value obj, v;
  CHECK(env, napi_create_object(env, &obj));
  struct zk_uring u;
  const char *step = "io_uring_setup";
  int err = zk_uring_init(&u, 8, 0, &step);
  if (err < 0) {
    char reason[192];
    int disabled = io_uring_disabled();
    const char *hint = "";
    if (err == -EPERM && disabled == 2) hint = " (io_uring_disabled=2: io_uring is disabled system-wide)";
    else if (err == -EPERM && disabled == 1) hint = " (io_uring_disabled=1: not in kernel.io_uring_group)";
    else if (err == -EPERM) hint = " (seccomp?)";
    else if (err == -ENOSYS) hint = " (kernel without io_uring, or seccomp)";
    snprintf(reason, sizeof reason, "%s: %s%s", step, zk_errno_name(err), hint);
    CHECK(env, napi_get_boolean(env, false, &v));
    CHECK(env, napi_set_named_property(env, obj, "ok", v));
    CHECK(env, napi_create_string_utf8(env, reason, NAPI_AUTO_LENGTH, &v));
    CHECK(env, napi_set_named_property(env, obj, "reason", v));
    memset(&u, 0, sizeof u); /* describe() then reports nothing */
    u.fd = -1;
  } else {
    int ok = u.probed != 0;
    CHECK(env, napi_get_boolean(env, ok, &v));
    CHECK(env, napi_set_named_property(env, obj, "ok", v));
    if (!ok) {
      CHECK(env, napi_create_string_utf8(env, "IORING_REGISTER_PROBE: unsupported (kernel older than 5.6)",
                                         NAPI_AUTO_LENGTH, &v));
      CHECK(env, napi_set_named_property(env, obj, "reason", v));
    }
  }
  int described = describe(env, &u, obj);
  zk_uring_destroy(&u);
  if (described) {
    zk_throw_last(env, "probe");
    return NULL;
  }
  return obj;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"createRing", NULL, js_create_ring, NULL, NULL, NULL, napi_enumerable, NULL},
      {"registerArena", NULL, js_register_arena, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lendArena", NULL, js_lend_arena, NULL, NULL, NULL, napi_enumerable, NULL},
      {"releaseArena", NULL, js_release_arena, NULL, NULL, NULL, napi_enumerable, NULL},
      {"flush", NULL, js_flush, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, js_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ringInfo", NULL, js_ring_info, NULL, NULL, NULL, napi_enumerable, NULL},
      {"probe", NULL, js_probe, NULL, NULL, NULL, napi_enumerable, NULL},
      {"createBufferGroup", NULL, js_create_buffer_group, NULL, NULL, NULL, napi_enumerable, NULL},
      {"provideBuffer", NULL, js_provide_buffer, NULL, NULL, NULL, napi_enumerable, NULL},
      {"socketAddress", NULL, zk_js_socket_address, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setSocketOption", NULL, zk_js_set_socket_option, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setMembership", NULL, zk_js_set_membership, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  CHECK(env, napi_define_properties(env, exports, sizeof props / sizeof props[0], props));
  CHECK(env, zk_epoll_define(env, exports)); /* the epoll backend's exports (epoll_addon.c) */
  return exports;
}

/* Node-API modules are context-aware: init runs once per env (main thread and each worker). */
NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
