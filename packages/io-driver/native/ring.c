/*
 * ring.c: the backend's engine: flush (op records -> SQEs), the uv_poll reaper (CQEs -> completion records -> one
 * JS call per batch), and teardown. See ring.h for the ownership protocol.
 *
 * Wake-up path: the kernel posts a CQE -> the ring fd polls readable -> libuv calls on_poll -> dispatch() copies up
 * to `completion_cap` records into the completion ArrayBuffer and calls onCompletions(count) through
 * napi_make_callback (so process.nextTick and promise jobs run after it, as for any Node callback); it repeats while
 * CQEs remain, up to kMaxRounds, after which libuv's level-triggered poll brings it back on the next tick.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "ring.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "userdata.h"

/* Callback rounds per wake-up before yielding to the rest of the loop; a guess at fairness, not measured. */
enum { kMaxRounds = 64 };

/* ---- overflow queue ---- */

static int overflow_reserve(struct zk_overflow *q, uint64_t extra) {
  uint64_t need = (uint64_t)q->count + extra;
  if (need <= q->cap) return 0;
  if (need > (1ULL << 31)) return -ENOMEM;
  uint32_t cap = q->cap ? q->cap : 64;
  while (cap < need) cap *= 2;
  struct zk_io_uring_sqe *items = malloc((size_t)cap * sizeof *items);
  if (!items) return -ENOMEM;
  for (uint32_t i = 0; i < q->count; i++) items[i] = q->items[(q->head + i) & (q->cap - 1)];
  free(q->items);
  q->items = items;
  q->cap = cap;
  q->head = 0;
  return 0;
}

/* Only after overflow_reserve made room. */
static struct zk_io_uring_sqe *overflow_push(struct zk_overflow *q) {
  return &q->items[(q->head + q->count++) & (q->cap - 1)];
}

static const struct zk_io_uring_sqe *overflow_pop(struct zk_overflow *q) {
  const struct zk_io_uring_sqe *e = &q->items[q->head];
  q->head = (q->head + 1) & (q->cap - 1);
  q->count--;
  return e;
}

/* ---- submission ---- */

static void on_retry(uv_timer_t *t);

static void arm_retry(struct zk_ring *r) {
  if (r->retry_armed || r->tearing_down) return;
  if (uv_timer_start(&r->retry, on_retry, 1, 0) == 0) r->retry_armed = 1;
}

/* A free SQE the kernel may own (the CQ budget allows it), submitting a full SQ first if need be; or NULL. */
static struct zk_io_uring_sqe *kernel_slot(struct zk_ring *r) {
  if (r->kernel_owned >= r->u.cq_entries) return NULL;
  struct zk_io_uring_sqe *sqe = zk_uring_next_sqe(&r->u);
  if (!sqe && zk_uring_submit(&r->u) > 0) sqe = zk_uring_next_sqe(&r->u);
  if (sqe) r->kernel_owned++;
  return sqe;
}

/* Moves queued SQEs into the SQ and submits until the queue is empty or the kernel pushes back. Never calls JS. */
static void pump(struct zk_ring *r) {
  for (;;) {
    while (r->overflow.count > 0) {
      struct zk_io_uring_sqe *sqe = kernel_slot(r);
      if (!sqe) break;
      *sqe = *overflow_pop(&r->overflow);
    }
    if (zk_uring_sq_pending(&r->u) == 0) return;
    zk_uring_submit(&r->u); /* its result is read back below: what the kernel left in the SQ */
    if (zk_uring_sq_pending(&r->u) > 0) {
      /* The kernel left SQEs in the ring: -EAGAIN/-EBUSY (out of resources), or a short submit. Retry shortly;
       * nothing else may wake us if no other op is in the kernel. Any other error would be a bug in this file
       * (EBADF, EFAULT); retrying keeps every op accounted for rather than dropping any. */
      arm_retry(r);
      return;
    }
    if (r->overflow.count == 0 || r->kernel_owned >= r->u.cq_entries) return;
  }
}

static void update_ref(struct zk_ring *r) {
  /* Keep the loop alive exactly while something is in flight, like any libuv request. */
  if (r->in_flight > 0 || r->internal_owned > 0)
    uv_ref((uv_handle_t *)&r->poll);
  else
    uv_unref((uv_handle_t *)&r->poll);
}

int zk_ring_flush(struct zk_ring *r, uint32_t count) {
  /* Reserve the worst case up front so that a flush is all-or-nothing: no op is ever dropped half-way (a close
   * takes two SQEs: see below). */
  if (overflow_reserve(&r->overflow, 2ULL * count) != 0) return -ENOMEM;
  struct zk_prep_ctx ctx = {r->arenas.views, r->arenas.n, &r->slots, &r->u, &r->pbufs,
                            r->fixed_state == 1 ? r->fixed : NULL, r->nfixed};
  for (uint32_t i = 0; i < count; i++) {
    struct zk_op_record rec;
    memcpy(&rec, r->staging + (size_t)i * ZK_OP_RECORD_BYTES, sizeof rec);
    if (rec.opcode == ZK_OP_CLOSE && rec.fd >= 0) {
      /* The contract: closing an fd ends the ops waiting on it (ECANCELED). An in-flight op holds its own file
       * reference, so a plain close would leave it waiting: cancel them first, in the same submission (5.19+;
       * older kernels answer -EINVAL, which nobody reads). */
      struct zk_io_uring_sqe *cancel = r->overflow.count == 0 ? kernel_slot(r) : NULL;
      if (!cancel) cancel = overflow_push(&r->overflow);
      memset(cancel, 0, sizeof *cancel);
      cancel->opcode = IORING_OP_ASYNC_CANCEL;
      cancel->fd = rec.fd;
      cancel->op_flags = IORING_ASYNC_CANCEL_FD | IORING_ASYNC_CANCEL_ALL;
      cancel->user_data = zk_ud(0, ZK_TAG_INTERNAL, 0);
      r->internal_owned++;
    }
    struct zk_io_uring_sqe *sqe = r->overflow.count == 0 ? kernel_slot(r) : NULL;
    if (!sqe) sqe = overflow_push(&r->overflow);
    zk_prep_sqe(&ctx, &rec, sqe);
    r->in_flight++;
  }
  pump(r);
  update_ref(r);
  return 0;
}

/* ---- completion ---- */

/*
 * Books one CQE of an op holding a slot: the completion's aux and flags, the provided buffer it names, and, at the
 * op's final CQE, the slot's release (exactly once: the slot is only ever released here or by free_all).
 */
static void reap_slot(struct zk_ring *r, uint32_t slot, int32_t res, uint32_t cflags, int final, uint32_t *flags,
                      uint32_t *aux) {
  struct zk_op_slot *s = zk_slots_get(&r->slots, slot);
  if (!s || !s->live) return; /* not a slot we handed out: report the CQE as it is */
  switch ((enum zk_slot_kind)s->kind) {
    case ZK_SLOT_ACCEPT:
      if (res >= 0) *aux = (uint32_t)s->u.addrlen;
      break;
    case ZK_SLOT_RECVMSG:
      if (res >= 0 && s->u.msg.hdr.msg_name) *aux = (uint32_t)s->u.msg.hdr.msg_namelen;
      break;
    case ZK_SLOT_SELECT:
      if (cflags & IORING_CQE_F_BUFFER) {
        uint32_t bid = cflags >> IORING_CQE_BUFFER_SHIFT;
        struct zk_pbuf_group *grp = zk_pbuf_find(&r->pbufs, s->group);
        /* The contract: a completion without data consumes no buffer; the kernel took one anyway (EOF, error). */
        if (grp) zk_pbuf_consumed(grp, bid, res > 0);
        if (res > 0) {
          *flags |= ZK_COMPLETION_BUFFER;
          *aux = bid;
        }
      }
      break;
    case ZK_SLOT_TIMEOUT:
    case ZK_SLOT_SENDMSG:
      break;
  }
  if (final) zk_slots_release(&r->slots, slot);
}

/* Consumes ready CQEs into completion records (up to capacity). Returns CQEs consumed; *records = records written. */
static uint32_t reap(struct zk_ring *r, uint32_t *records, int to_js) {
  uint32_t head, ready = zk_uring_cq_ready(&r->u, &head), i = 0, out = 0;
  for (; i < ready && (!to_js || out < r->completion_cap); i++) {
    const struct zk_io_uring_cqe *cqe = zk_uring_cqe_at(&r->u, head + i);
    uint64_t ud = cqe->user_data;
    int32_t res = cqe->res;
    uint32_t cflags = cqe->flags;
    /* Only a final CQE (no F_MORE) ends an op: a multishot op keeps its budget, its slot and its in_flight count. */
    int final = (cflags & IORING_CQE_F_MORE) == 0;
    uint32_t flags = final ? 0 : ZK_COMPLETION_MORE, aux = 0;
    if (final && r->kernel_owned > 0) r->kernel_owned--;
    switch (zk_ud_tag(ud)) {
      case ZK_TAG_INTERNAL:
        if (final && r->internal_owned > 0) r->internal_owned--;
        continue;
      case ZK_TAG_SLOT:
        reap_slot(r, zk_ud_payload(ud), res, cflags, final, &flags, &aux);
        break;
      case ZK_TAG_RESULT:
        res = -(int32_t)zk_ud_payload(ud);
        break;
      case ZK_TAG_PLAIN:
        break;
    }
    if (final && r->in_flight > 0) r->in_flight--;
    if (!to_js) continue;
    struct zk_completion_record rec = {.token = zk_ud_token(ud), .res = res, .flags = flags, .aux = aux};
    memcpy(r->completions + (size_t)out * ZK_COMPLETION_RECORD_BYTES, &rec, sizeof rec);
    out++;
  }
  if (i > 0) zk_uring_cq_advance(&r->u, head + i);
  *records = out;
  return i;
}

static void call_js(struct zk_ring *r, uint32_t count) { zk_call_js(r->env, r->async_ctx, r->callback_ref, count); }

static void start_teardown(struct zk_ring *r);

static void dispatch(struct zk_ring *r) {
  if (r->tearing_down) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(r->env, &scope) != napi_ok) return;
  r->dispatching++;
  for (int round = 0; round < kMaxRounds && !r->closing; round++) {
    /* TASKRUN: completions wait as task work until we enter the kernel; CQ_OVERFLOW: cannot happen given the
     * kernel_owned budget, but if it did, GETEVENTS moves the overflowed CQEs back into the ring. */
    if (zk_uring_sq_flags(&r->u) & (IORING_SQ_TASKRUN | IORING_SQ_CQ_OVERFLOW)) zk_uring_get_events(&r->u, 0);
    uint32_t records = 0, consumed = reap(r, &records, 1);
    if (records > 0) call_js(r, records);
    if (r->closing) break;
    pump(r);
    if (consumed == 0) break;
  }
  r->dispatching--;
  /* The JS handle was collected while ops were in flight: close now that they are done. */
  if (!r->closing && r->box == NULL && r->in_flight == 0) r->closing = 1;
  if (!r->closing) update_ref(r);
  napi_close_handle_scope(r->env, scope);
  if (r->closing && r->dispatching == 0) start_teardown(r);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)status; /* on error, reaping is still the right thing to try; the loop reports nothing else */
  (void)events;
  dispatch(h->data);
}

static void on_retry(uv_timer_t *t) {
  struct zk_ring *r = t->data;
  r->retry_armed = 0;
  pump(r);
  dispatch(r);
}

int zk_ring_start(struct zk_ring *r, uv_loop_t *loop) {
  int err = uv_poll_init(loop, &r->poll, r->u.fd);
  if (err) return err;
  r->poll.data = r;
  r->handles_open++;
  uv_timer_init(loop, &r->retry); /* cannot fail */
  r->retry.data = r;
  r->handles_open++;
  uv_unref((uv_handle_t *)&r->retry); /* only runs while the poll handle (ref'd when busy) keeps the loop */
  uv_unref((uv_handle_t *)&r->poll);
  return uv_poll_start(&r->poll, UV_READABLE, on_poll);
}

/* ---- teardown ---- */

static void free_ring(struct zk_ring *r) {
  napi_env env = r->env;
  /* After quiesce: the kernel holds no SQE, so nothing selects from a group or points into our memory. */
  zk_pbuf_free_all(&r->pbufs, r->u.fd);
  int err = zk_uring_destroy(&r->u); /* also drops the fixed-buffer table with the ring */
  (void)err;                          /* nothing to report to at teardown; the fd and maps are released regardless */
  if (r->staging_ref) napi_delete_reference(env, r->staging_ref);
  if (r->completions_ref) napi_delete_reference(env, r->completions_ref);
  if (r->callback_ref) napi_delete_reference(env, r->callback_ref);
  if (r->async_ctx) napi_async_destroy(env, r->async_ctx);
  zk_arena_table_free(env, &r->arenas);
  zk_slots_free_all(&r->slots);
  free(r->fixed);
  free(r->overflow.items);
  if (r->box) r->box->ring = NULL;
  napi_async_cleanup_hook_handle hook = r->hook;
  free(r);
  /* Last: at env cleanup, Node waits for this before tearing the env down. */
  if (hook) napi_remove_async_cleanup_hook(hook);
}

void zk_ring_free_unstarted(struct zk_ring *r) { free_ring(r); }

static void on_handle_closed(uv_handle_t *h) {
  struct zk_ring *r = h->data;
  if (--r->handles_open == 0) free_ring(r);
}

/*
 * Makes the kernel give back every SQE before memory is released: ops never submitted are dropped (only env
 * cleanup reaches here with ops in flight, and then no JS is left to tell), the rest are cancelled with one
 * ASYNC_CANCEL(ANY|ALL) (5.19+) and waited for. Completions are consumed silently.
 */
static void quiesce(struct zk_ring *r) {
  /* Ops never submitted are dropped; some of them may be internal (a close's cancel): saturate, never wrap. */
  r->in_flight = r->in_flight > r->overflow.count ? r->in_flight - r->overflow.count : 0;
  r->overflow.count = 0;
  if (r->kernel_owned == 0) return;
  struct zk_io_uring_sqe *sqe = zk_uring_next_sqe(&r->u);
  if (!sqe && zk_uring_submit(&r->u) > 0) sqe = zk_uring_next_sqe(&r->u);
  if (sqe) {
    memset(sqe, 0, sizeof *sqe);
    sqe->opcode = IORING_OP_ASYNC_CANCEL;
    sqe->fd = -1;
    sqe->op_flags = IORING_ASYNC_CANCEL_ANY | IORING_ASYNC_CANCEL_ALL;
    sqe->user_data = zk_ud(0, ZK_TAG_INTERNAL, 0);
    r->kernel_owned++;
    r->internal_owned++;
  }
  while (r->kernel_owned > 0) {
    uint32_t records;
    reap(r, &records, 0);
    if (r->kernel_owned == 0) break;
    if (zk_uring_sq_pending(&r->u) > 0) {
      int n = zk_uring_submit(&r->u);
      if (n < 0 && n != -EAGAIN && n != -EBUSY) break; /* the ring is unusable: nothing more will complete */
    }
    int err = zk_uring_get_events(&r->u, 1);
    if (err < 0 && err != -EAGAIN && err != -EBUSY) break;
  }
}

static void start_teardown(struct zk_ring *r) {
  if (r->tearing_down) return;
  r->tearing_down = 1;
  quiesce(r);
  if (r->retry_armed) uv_timer_stop(&r->retry);
  uv_close((uv_handle_t *)&r->poll, on_handle_closed);
  uv_close((uv_handle_t *)&r->retry, on_handle_closed);
}

void zk_ring_begin_close(struct zk_ring *r) {
  r->closing = 1;
  if (r->dispatching == 0) start_teardown(r);
}

/* ---- provided buffers and fixed buffers ---- */

int zk_ring_create_buffer_group(struct zk_ring *r, uint32_t group, uint32_t capacity) {
  return zk_pbuf_create(&r->pbufs, r->u.fd, group, capacity);
}

int zk_ring_provide_buffer(struct zk_ring *r, uint32_t group, uint32_t bid, uint32_t arena, uint32_t offset,
                           uint32_t length) {
  struct zk_pbuf_group *grp = zk_pbuf_find(&r->pbufs, group);
  if (!grp) return -EINVAL;
  uint8_t *p;
  if (zk_resolve_buf(r->arenas.views, r->arenas.n, arena, offset, length, &p) != 0) return -EINVAL;
  return zk_pbuf_provide(grp, bid, p, length);
}

/*
 * Fixed-buffer table size: arena ids are small dense integers, and this many covers any realistic pool; an arena
 * with a larger id simply stays a plain buffer. (The kernel's own limit is 16384.)
 */
#define ZK_FIXED_SLOTS 1024U

static int sys_register(int fd, unsigned opcode, void *arg, unsigned nr_args) {
  long rc = syscall(__NR_io_uring_register, fd, opcode, arg, nr_args);
  return rc < 0 ? -errno : (int)rc;
}

void zk_ring_setup_fixed(struct zk_ring *r) {
  if (r->fixed_state != 0) return;
  uint8_t *fixed = calloc(ZK_FIXED_SLOTS, 1);
  struct zk_io_uring_rsrc_register reg;
  memset(&reg, 0, sizeof reg);
  reg.nr = ZK_FIXED_SLOTS;
  reg.flags = IORING_RSRC_REGISTER_SPARSE;
  /* Refused (< 5.19 for sparse tables, seccomp, ENOMEM): plain READ/WRITE for the ring's whole life. */
  if (!fixed || sys_register(r->u.fd, IORING_REGISTER_BUFFERS2, &reg, sizeof reg) < 0) {
    free(fixed);
    r->fixed_state = -1;
    return;
  }
  r->fixed = fixed;
  r->nfixed = ZK_FIXED_SLOTS;
  r->fixed_state = 1;
}

void zk_ring_register_fixed(struct zk_ring *r, uint32_t id) {
  if (r->fixed_state != 1 || id >= r->nfixed || id >= r->arenas.n || !r->arenas.views[id].data) return;
  if (r->fixed[id]) return;
  struct iovec iov = {.iov_base = r->arenas.views[id].data, .iov_len = r->arenas.views[id].len};
  struct zk_io_uring_rsrc_update2 up;
  memset(&up, 0, sizeof up);
  up.offset = id;
  up.data = (uint64_t)(uintptr_t)&iov;
  up.nr = 1;
  /*
   * The kernel pins the arena's pages and charges them to RLIMIT_MEMLOCK (without CAP_IPC_LOCK), and refuses
   * buffers over 1 GiB: on any error this arena stays a plain buffer. An update is synchronous and may run with
   * ops in flight: none of them uses index `id` yet.
   */
  if (sys_register(r->u.fd, IORING_REGISTER_BUFFERS_UPDATE, &up, sizeof up) == 1) r->fixed[id] = 1;
}

void zk_ring_on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle; /* the same handle napi_add_async_cleanup_hook gave us; free_ring removes it */
  struct zk_ring *r = arg;
  if (r->closing) return; /* close() already began teardown; free_ring will release the env */
  zk_ring_begin_close(r);
}
