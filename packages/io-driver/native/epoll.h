/*
 * epoll.h: the epoll backend: the contract of contract.h without io_uring, for kernels or sandboxes that refuse it.
 *
 * Where each op runs (all decided in flush, on the JS thread):
 *
 *   NOP, bad record ------------------------------> ready list (completes in the loop, never inside flush)
 *   SOCKET, BIND, LISTEN, SHUTDOWN ---------------> the syscall now (never blocks) --> ready list
 *   TIMEOUT -----> min-heap of deadlines, one timerfd armed at the earliest --> ready list (-ETIME)
 *   READ/WRITE/READV/WRITEV on a pipe, socket, char device; ACCEPT, CONNECT, RECV, SEND, RECVMSG, SENDMSG, POLL_ADD
 *        -> try now without blocking (RWF_NOWAIT, MSG_DONTWAIT, O_NONBLOCK, poll(0))
 *        done ----------------------------------------------------------------> ready list
 *        EAGAIN -> wait in the fd's zk_watch (edge-triggered); retried when epoll reports an edge --> ready list
 *        multishot: each result but the last becomes a COMPLETION_MORE record in the `more` ring, the op stays put
 *   READ/WRITE/READV/WRITEV on regular files, every path op, CLOSE, FSYNC, CONNECT on a blocking socket
 *        -------------> pool job queue -> 1 of ZK_POOL_THREADS pthreads -> done list + eventfd --> ready list
 *   CANCEL -------------> resolved at once against the token map --> ready list (target too, if it won)
 *
 * One epoll fd holds the eventfd (pool results and loop-side kicks), the timerfd, and every zk_watch'ed fd; libuv
 * watches that one fd with a uv_poll_t (ref'd only while ops are in flight). A wake-up drains all three into the
 * ready list and delivers it in batches of at most `completion_cap` records, one napi_make_callback per batch:
 * first every queued COMPLETION_MORE record, then final ones. An op's MORE records are all queued before its final
 * one is, so that order is the order JS sees.
 *
 * Per-fd waiting (zk_watch): one epoll registration per fd, whose interest is the union of what its three FIFO
 * lists need (readers: EPOLLIN|EPOLLRDHUP, writers: EPOLLOUT, pollers: their masks), registered EPOLLET. Edge
 * triggering is what lets a multishot POLL_ADD fire once per wake-up rather than on every loop turn while the fd
 * stays readable, and what makes an event for a stale registration (a dup of a closed fd) harmless. It is safe
 * because of one rule: an op only ever waits after an attempt said EAGAIN (or behind an op that did), and a list is
 * retried on an edge until an attempt says EAGAIN again or the list is empty — so no readiness goes unnoticed. An
 * op that stops short of EAGAIN (a multishot op at its per-wake-up cap) sets `rearm`, and the EPOLL_CTL_MOD that
 * follows re-polls the fd, which queues a fresh event if it is still ready. Events name a watch by (gen, fd) in
 * data.u64, never by pointer: a stale event finds no watch or another generation, and is ignored.
 *
 * Provided buffers (epoll_groups.c): groups are plain FIFOs of (pointer, length) into registered arenas, touched
 * only on the loop thread (a buffer-select RECV never goes to the pool). A RECV takes the FIFO's head only after
 * recv() put bytes into it.
 *
 * Ownership:
 * - A zk_eop is malloc'd in flush and freed when its final completion record is copied out (or at teardown). At any
 *   time it is in exactly one place: the pool queue, a pool thread (RUNNING, owned by that thread), the pool's done
 *   list (those three under pool.mu), the timer heap, a watch's waiter list, or the ready list (loop thread only).
 *   `map` only indexes ops that a CANCEL may name; it never owns them.
 * - Buffers, iovec tables, addresses and paths are pointers into registered arenas (arena.h), pinned by napi_refs
 *   until teardown, so they outlive every op, including one a pool thread is still running.
 * - Teardown (close() with nothing in flight, or env cleanup) stops the pool and joins its threads first, so no
 *   thread touches memory freed after; then frees ops, groups and the MORE ring, closes the uv handle, and in its
 *   close callback the fds and napi_refs.
 */
#ifndef ZOKIO_EPOLL_H
#define ZOKIO_EPOLL_H

#include <node_api.h>
#include <pthread.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <uv.h>

#include "contract.h"
#include "napi_util.h"

/* Pool threads per backend, started on demand. Four: enough to overlap a few slow fsyncs or opens; a guess, not
 * measured — libuv's default pool is also 4. */
#define ZK_POOL_THREADS 4

enum zk_eop_state {
  ZK_EOP_READY,   /* in the ready list, result known */
  ZK_EOP_QUEUED,  /* in the pool queue */
  ZK_EOP_RUNNING, /* on a pool thread */
  ZK_EOP_DONE,    /* in the pool's done list */
  ZK_EOP_TIMER,   /* in the timer heap */
  ZK_EOP_WAITING  /* waiting for readiness on a zk_watch */
};

/* Which list of its zk_watch a WAITING op is in. */
enum zk_dir { ZK_DIR_READ = 0, ZK_DIR_WRITE = 1, ZK_DIR_POLL = 2 };

/* How a READ/WRITE on a non-regular fd is attempted without blocking. */
enum zk_nowait { ZK_NOWAIT_RWF = 0, ZK_NOWAIT_PLAIN = 1 /* the fd is O_NONBLOCK; RWF_NOWAIT unsupported */ };

struct zk_watch;

struct zk_eop {
  uint32_t token;
  uint8_t opcode;
  uint8_t state;  /* enum zk_eop_state; QUEUED/RUNNING/DONE only read or written under pool.mu */
  uint8_t mapped; /* in the token map */
  uint8_t nowait; /* enum zk_nowait */
  uint8_t dir;       /* enum zk_dir: the list it waits in */
  uint8_t multishot; /* ZK_MODE_MULTISHOT was set (ACCEPT, RECV with buffer select, POLL_ADD) */
  uint8_t select;    /* RECV: ZK_MODE_BUFFER_SELECT, group in `group` */
  uint8_t phase;     /* CONNECT: 1 once connect() said EINPROGRESS; ACCEPT: 1 on a blocking listening socket */
  int32_t res;
  uint32_t cflags, aux; /* the completion's flags and aux, set by the latest attempt */
  int32_t fd, fd2;
  uint32_t arg, mode, len;
  uint32_t group;          /* RECV with buffer select */
  uint32_t iovcnt;         /* READV/WRITEV */
  uint64_t off;            /* (uint64_t)-1: the fd's current position */
  uint8_t *buf;
  const char *path, *path2;
  struct iovec *iov;       /* READV/WRITEV: the op's own table, rewritten in place (sockets.h) */
  struct sockaddr *addr;   /* socket ops: NULL when the record has none */
  socklen_t addrlen;       /* its length, or capacity for an address the op writes */
  struct zk_eop *prev, *next; /* the list the op is in */
  struct zk_eop *hnext;       /* token map chain */
  uint64_t deadline;          /* TIMER: CLOCK_MONOTONIC ns */
  uint32_t heap_idx;          /* TIMER: index in the heap */
  struct zk_watch *watch;     /* WAITING */
};

/* A FIFO of ops through their prev/next links; the caller holds whatever guards it. */
struct zk_list {
  struct zk_eop *head, *tail;
};

static inline void zk_list_push(struct zk_list *l, struct zk_eop *op) {
  op->next = NULL;
  op->prev = l->tail;
  if (l->tail)
    l->tail->next = op;
  else
    l->head = op;
  l->tail = op;
}

static inline void zk_list_unlink(struct zk_list *l, struct zk_eop *op) {
  if (op->prev)
    op->prev->next = op->next;
  else
    l->head = op->next;
  if (op->next)
    op->next->prev = op->prev;
  else
    l->tail = op->prev;
  op->prev = op->next = NULL;
}

/* Moves all of `from` to the end of `to`. */
static inline void zk_list_splice(struct zk_list *to, struct zk_list *from) {
  if (!from->head) return;
  if (to->tail) {
    to->tail->next = from->head;
    from->head->prev = to->tail;
  } else {
    to->head = from->head;
  }
  to->tail = from->tail;
  from->head = from->tail = NULL;
}

/* The thread pool. Everything but `threads`/`evfd` is guarded by `mu`. */
struct zk_pool {
  pthread_mutex_t mu;
  pthread_cond_t cv;
  struct zk_list queue; /* QUEUED, doubly linked (cancel unlinks from the middle) */
  struct zk_list done;  /* DONE, singly linked */
  uint32_t queued, idle;
  int stop;
  int nthreads;
  pthread_t threads[ZK_POOL_THREADS];
  int evfd;     /* written after each result, so the epoll fd wakes the loop */
  int mu_ready; /* mu and cv initialised */
};

/* Ops waiting for one fd, in submission order per direction; see "Per-fd waiting" above. */
struct zk_watch {
  int fd;
  uint32_t gen;   /* names this watch in epoll events, with fd: a stale event finds another gen (or none) */
  uint32_t armed; /* interest registered in the epoll set (without EPOLLET); 0 = not registered */
  int rearm;      /* an op stopped short of EAGAIN: MOD even if the interest is unchanged, to re-poll */
  struct zk_list readers, writers, pollers;
};

/* Provided-buffer groups (epoll_groups.c). */
struct zk_pbuf {
  uint8_t *data; /* into a registered arena */
  uint32_t len;
  uint8_t held;  /* in its group's FIFO (provided and not taken since) */
};

struct zk_bgroup {
  uint32_t cap;          /* buffers it may hold: a power of two, ids [0, cap) */
  uint32_t head, count;  /* the FIFO: ids ring[(head + i) & (cap - 1)] for i < count */
  uint16_t *ring;        /* cap entries: each held id once, so it never overflows */
  struct zk_pbuf *bufs;  /* by id */
};

struct zk_bgroups {
  struct zk_bgroup **by_id; /* indexed by group id (0 - 65535), NULL: none */
  uint32_t cap;
};

/* Non-final (COMPLETION_MORE) records waiting for delivery: a ring, delivered before any final record. */
struct zk_more_ring {
  struct zk_completion_record *recs;
  uint32_t head, n, cap;
};

struct zk_epoll_box;

struct zk_epoll {
  napi_env env;
  int epfd, evfd, tfd;
  uv_poll_t poll;
  int poll_open; /* uv handle initialised and not yet through its close callback */

  napi_ref staging_ref, completions_ref, callback_ref;
  const uint8_t *staging;
  size_t staging_len;
  uint8_t *completions;
  uint32_t completion_cap;
  napi_async_context async_ctx;
  napi_async_cleanup_hook_handle hook;
  struct zk_arena_table arenas;

  struct zk_pool pool;
  struct zk_list ready; /* singly linked; loop thread only */
  int kicked;           /* evfd written since the last drain by the loop */

  struct zk_eop **heap; /* min-heap on deadline */
  uint32_t heap_n, heap_cap;
  uint64_t timer_armed; /* deadline the timerfd is set to, 0 = disarmed */

  struct zk_watch **watches; /* indexed by fd */
  uint32_t watches_cap;
  uint32_t watch_gen;        /* the last zk_watch.gen handed out */

  struct zk_bgroups groups;
  struct zk_more_ring more;

  struct zk_eop **buckets; /* token map, chained; cap a power of two */
  uint32_t map_n, map_cap;

  uint64_t in_flight; /* ops flushed whose final record has not been copied out */
  int dispatching, closing, tearing_down;
  struct zk_epoll_box *box;
};

struct zk_epoll_box {
  struct zk_epoll *e; /* NULL once torn down */
};

/* ---- epoll.c ---- */
/* Opens the fds (epoll, eventfd, timerfd) and the pool's lock. 0 or a negated errno; *step names what failed. */
int zk_epoll_init(struct zk_epoll *e, const char **step);
/* Starts the uv_poll_t on the epoll fd. 0 or a libuv error. */
int zk_epoll_start(struct zk_epoll *e, uv_loop_t *loop);
/* Takes records [0, count) (count already bounds-checked). 0, or -ENOMEM with nothing taken. */
int zk_epoll_flush(struct zk_epoll *e, uint32_t count);
void zk_epoll_begin_close(struct zk_epoll *e);
/* Frees a backend whose uv handle never started (createEpoll failing early). */
void zk_epoll_free_unstarted(struct zk_epoll *e);
void zk_epoll_on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg);

/* ---- epoll_addon.c ---- */
/* Adds createEpoll, epollRegisterArena, epollFlush, epollClose, epollCreateBufferGroup and epollProvideBuffer to
 * `exports` (called from addon.c's init, which also exports the shared socketAddress and setSocketOption). */
napi_status zk_epoll_define(napi_env env, napi_value exports);

/* ---- epoll_pool.c ---- */
int zk_pool_init(struct zk_pool *p, int evfd);
/* Queues a job (state QUEUED), starting a thread if none is idle. 0, or a negated errno if no thread can run it. */
int zk_pool_submit(struct zk_pool *p, struct zk_eop *op);
/* 0: the job was still queued and is now unlinked (the caller owns it); -EALREADY running; -ENOENT done. */
int zk_pool_cancel(struct zk_pool *p, struct zk_eop *op);
/* Appends every DONE op to `out` (as READY). */
void zk_pool_take_done(struct zk_pool *p, struct zk_list *out);
/* Stops and joins every thread; queued and done ops are appended to `out` for the caller to free. */
void zk_pool_stop(struct zk_pool *p, struct zk_list *out);
void zk_pool_destroy(struct zk_pool *p);
/* Runs a blocking op (on a pool thread): the raw result, or a negated errno. */
int32_t zk_eop_run(struct zk_eop *op);
/* Tries a READ/WRITE/READV/WRITEV without blocking: the result, -EAGAIN, or -EOPNOTSUPP if the fd cannot say
 * EAGAIN. */
int32_t zk_eop_try(struct zk_eop *op);

/* ---- epoll_sockets.c ---- */
/* SOCKET, BIND, LISTEN, SHUTDOWN: the syscall's result (they never block). */
int32_t zk_sock_now(struct zk_eop *op);
/*
 * One non-blocking attempt at ACCEPT, CONNECT, RECV (buffer select included), SEND, RECVMSG, SENDMSG or POLL_ADD:
 * the result, or -EAGAIN to wait. Sets op->cflags and op->aux for the completion it would make.
 */
int32_t zk_sock_try(struct zk_bgroups *groups, struct zk_eop *op);
/* The epoll events a POLL_ADD mask may ask for (poll and epoll bits agree on Linux). */
uint32_t zk_poll_interest(uint32_t mask);

/* ---- epoll_groups.c ---- */
/* Creates group `id` (< 65536) of `cap` buffers (a power of two <= ZK_MAX_GROUP_BUFFERS). 0, -EEXIST, -ENOMEM. */
int zk_groups_create(struct zk_bgroups *t, uint32_t id, uint32_t cap);
/* The group, or NULL. */
struct zk_bgroup *zk_groups_get(const struct zk_bgroups *t, uint32_t id);
/* Makes buffer `bid` (< g->cap) available at the FIFO's tail, or, if it is already held, updates its memory in place
 * (it keeps its place: a buffer is never queued twice). */
void zk_group_provide(struct zk_bgroup *g, uint32_t bid, uint8_t *data, uint32_t len);
/* The FIFO's head (not taken), or NULL when empty. */
struct zk_pbuf *zk_group_peek(struct zk_bgroup *g, uint32_t *bid);
/* Takes the head: only after zk_group_peek returned it. */
void zk_group_take(struct zk_bgroup *g);
void zk_groups_free(struct zk_bgroups *t);

#endif /* ZOKIO_EPOLL_H */
