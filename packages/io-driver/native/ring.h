/*
 * ring.h: a zokio backend instance: one io_uring plus everything that ties it to a napi_env and its libuv loop.
 *
 * Ownership and lifetime (the protocol ring.c implements):
 * - The ring holds napi_refs on the staging ArrayBuffer, the completion ArrayBuffer, the onCompletions function and
 *   every registered arena, from createRing/registerArena until teardown; the kernel only ever sees pointers into
 *   those, so V8 can never free memory an SQE names.
 * - An op belongs to the backend from flush() until its final completion record has been copied out; `in_flight`
 *   counts those. close() is refused while it is non-zero.
 * - `kernel_owned` counts SQEs placed in the SQ whose CQE is not yet reaped, and never exceeds the CQ size: each SQE
 *   yields exactly one CQE (no multishot yet), so the CQ cannot overflow; ops beyond it wait in `overflow`, in order.
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
#include "timeouts.h"
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
  struct zk_timeouts timeouts;
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
/* Env cleanup hook (napi_add_async_cleanup_hook). */
void zk_ring_on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg);
#endif /* ZOKIO_RING_H */
