/*
 * ring.h: a zokio backend instance: one io_uring plus everything that ties it to a napi_env and its libuv loop.
 *
 * Ownership and lifetime (the protocol ring.c implements):
 * - The ring holds napi_refs on the staging ArrayBuffer, the completion ArrayBuffer, the onCompletions function and
 *   every registered arena, from createRing/registerArena until teardown; the kernel only ever sees pointers into
 *   those, so V8 can never free memory an SQE names.
 * - An op belongs to the backend from flush() until its final completion record has been copied out; `in_flight`
 *   counts those. close() is refused while it is non-zero.
 * - `kernel_owned` counts SQEs placed in the SQ whose *final* CQE is not yet reaped, and never exceeds the CQ size;
 *   ops beyond it wait in `overflow`, in order. Single-shot ops post one CQE each, so they alone cannot overflow the
 *   CQ; a multishot op (ACCEPT, RECV, POLL_ADD with ZK_MODE_MULTISHOT) posts any number of CQEs with
 *   IORING_CQE_F_MORE before its final one, and may overflow it: the kernel (IORING_FEAT_NODROP) then keeps the
 *   extra CQEs in its overflow list and sets IORING_SQ_CQ_OVERFLOW, and the reaper flushes them back with
 *   io_uring_enter(GETEVENTS); the kernel may also end a multishot op early (final CQE) when its CQ is full, which
 *   the contract allows. `in_flight`, slots (op_slots.h) and provided-buffer bookkeeping likewise change only at a
 *   final CQE, except that every CQE naming a provided buffer books that buffer (pbuf_ring.h).
 * - Provided-buffer groups (pbuf_ring.h) live as long as the ring; they are unregistered and unmapped at teardown,
 *   after quiesce. Fixed buffers (registered arenas) are dropped with the ring fd.
 * - Teardown (close() or env cleanup) stops the uv handles, waits for the kernel to hand back every SQE (cancelling
 *   them at env cleanup), and only then unmaps the rings, closes the fd and drops the napi_refs.
 * - The JS handle is an external over a `zk_box`, so a handle that outlives its ring (or the reverse) is detected
 *   rather than dereferenced.
 */
#ifndef ZOKIO_RING_H
#define ZOKIO_RING_H

#include <node_api.h>
#include <uv.h>

#include "napi_util.h"
#include "ops.h"
#include "pbuf_ring.h"
#include "op_slots.h"
#include "uring.h"

struct zk_overflow {
  struct zk_io_uring_sqe *items; /* circular, capacity a power of two */
  uint32_t cap, head, count;
};

struct zk_box;

struct zk_ring {
  napi_env env;
  struct zk_uring u;
  uv_poll_t poll;   /* readable when the CQ has entries */
  uv_timer_t retry; /* retries a submission the kernel refused with EAGAIN/EBUSY */
  int handles_open; /* uv handles not yet through their close callback */
  int retry_armed;

  napi_ref staging_ref, completions_ref, callback_ref;
  const uint8_t *staging;
  size_t staging_len;
  uint8_t *completions;
  uint32_t completion_cap; /* completion records per callback */
  napi_async_context async_ctx;
  napi_async_cleanup_hook_handle hook;

  struct zk_arena_table arenas; /* napi_util.h: pinned until free_ring */
  struct zk_slots slots;       /* per-op native storage (op_slots.h) */
  struct zk_pbuf_groups pbufs; /* provided-buffer rings (pbuf_ring.h) */
  /* Fixed buffers: fixed[id] is 1 once arena `id` is registered as fixed buffer `id` (READ_FIXED/WRITE_FIXED). */
  uint8_t *fixed;
  uint32_t nfixed;    /* entries of `fixed` (the sparse table's size once registered) */
  int fixed_state;    /* 0 untried, 1 sparse table registered, -1 unavailable (plain READ/WRITE) */
  struct zk_overflow overflow;

  uint64_t in_flight;
  uint32_t kernel_owned;
  uint32_t internal_owned;
  int dispatching; /* > 0 while reaping (and calling JS) */
  int closing;     /* close() or env cleanup began; teardown starts once not dispatching */
  int tearing_down;
  struct zk_box *box;
};

struct zk_box {
  struct zk_ring *ring; /* NULL once the ring is torn down */
};


/* ---- ring.c ---- */
/* Takes op records [0, count) from the staging buffer (count already bounds-checked). 0, or -ENOMEM (nothing taken). */
int zk_ring_flush(struct zk_ring *r, uint32_t count);
/* Starts uv: poll on the ring fd, retry timer. 0 or a libuv error; on error, zk_ring_begin_close still works. */
int zk_ring_start(struct zk_ring *r, uv_loop_t *loop);
/* Begins teardown (close() with nothing in flight, or env cleanup); the ring is freed asynchronously. */
void zk_ring_begin_close(struct zk_ring *r);
/* Frees a ring whose uv handles were never initialised (createRing failing early). */
void zk_ring_free_unstarted(struct zk_ring *r);
/* createBufferGroup / provideBuffer: 0 or a negated errno (pbuf_ring.h; provide also -EINVAL outside the arena). */
int zk_ring_create_buffer_group(struct zk_ring *r, uint32_t group, uint32_t capacity);
int zk_ring_provide_buffer(struct zk_ring *r, uint32_t group, uint32_t bid, uint32_t arena, uint32_t offset,
                           uint32_t length);
/* At creation: registers an empty (sparse) fixed-buffer table; on failure fixed buffers stay off for this ring. */
void zk_ring_setup_fixed(struct zk_ring *r);
/* After registerArena(id): tries to make arena `id` fixed buffer `id`; on any failure plain READ/WRITE stay. */
void zk_ring_register_fixed(struct zk_ring *r, uint32_t id);
/* Env cleanup hook (napi_add_async_cleanup_hook). */
void zk_ring_on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg);
#endif /* ZOKIO_RING_H */
