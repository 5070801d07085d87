/*
 * epoll.c: the epoll backend's engine: flush (op records -> where each op runs, see epoll.h), per-fd readiness
 * waits (edge-triggered zk_watch lists), multishot ops and their COMPLETION_MORE ring, the timer heap, cancel, the
 * wake-up that delivers completions to JS, and teardown. Everything here runs on the loop thread; the pool is only
 * reached through epoll_pool.c's locked queue.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "epoll.h"

#include "sockets.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/timerfd.h>
#include <time.h>
#include <unistd.h>

/* Callback rounds per wake-up before yielding to the rest of the loop; as ring.c, a guess at fairness. kMaxShots:
 * results one multishot op may produce per wake-up before the others get a turn (a guess too: enough to drain a
 * burst of connections or a group's worth of buffers, small enough that one busy stream cannot hog a wake-up). */
enum { kMaxRounds = 64, kEvents = 64, kMaxShots = 32 };
/* MORE records queued at most; past it a multishot op's next result becomes its final one (the contract lets the
 * backend end a multishot op whenever it decides), so a flood cannot grow the ring without bound. */
#define ZK_MORE_MAX (1U << 20)

/* epoll_event.data.u64 of the eventfd and the timerfd; a watch's is (gen << 32) | fd, gen in [1, 2^31). */
#define ZK_TAG_EVFD (~0ULL)
#define ZK_TAG_TFD (~0ULL - 1)

static void close_fd(int *fd) {
  if (*fd >= 0) {
    int err = close(*fd);
    (void)err; /* Linux frees the fd even on EINTR/EIO; at teardown there is no one to tell */
    *fd = -1;
  }
}

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts); /* cannot fail for CLOCK_MONOTONIC */
  return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Wakes the loop: the eventfd is in the epoll set, which libuv polls. Once per drain is enough. */
static void kick(struct zk_epoll *e) {
  if (e->kicked) return;
  uint64_t one = 1;
  ssize_t w;
  do w = write(e->evfd, &one, sizeof one);
  while (w < 0 && errno == EINTR);
  e->kicked = 1; /* on EAGAIN the counter is non-zero, so the fd is readable anyway */
}

static void make_ready(struct zk_epoll *e, struct zk_eop *op, int32_t res);
static void make_ready_kept(struct zk_epoll *e, struct zk_eop *op, int32_t res);

/* ---- COMPLETION_MORE records: a growable ring, delivered before every final record ---- */

/* Queues one non-final completion of `op` (its cflags and aux as the attempt set them). 0, or -ENOMEM. */
static int more_push(struct zk_epoll *e, const struct zk_eop *op, int32_t res) {
  struct zk_more_ring *m = &e->more;
  if (m->n == m->cap) {
    uint32_t cap = m->cap ? m->cap * 2 : 64;
    if (cap > ZK_MORE_MAX) return -ENOMEM;
    struct zk_completion_record *recs = malloc(cap * sizeof *recs);
    if (!recs) return -ENOMEM;
    for (uint32_t i = 0; i < m->n; i++) recs[i] = m->recs[(m->head + i) % m->cap];
    free(m->recs);
    m->recs = recs;
    m->head = 0;
    m->cap = cap;
  }
  m->recs[(m->head + m->n) % m->cap] = (struct zk_completion_record){
      .token = op->token, .res = res, .flags = op->cflags | ZK_COMPLETION_MORE, .aux = op->aux};
  m->n++;
  return 0;
}

/* ---- token map: token -> op a CANCEL may name (chained; never owns the op) ---- */

static struct zk_eop **map_slot(struct zk_epoll *e, uint32_t token) {
  return &e->buckets[(token * 2654435761U) & (e->map_cap - 1)];
}

static int map_reserve(struct zk_epoll *e, uint64_t extra) {
  uint64_t need = e->map_n + extra;
  if (need <= e->map_cap) return 0; /* load factor <= 1 */
  if (need > (1ULL << 30)) return -ENOMEM;
  uint32_t cap = e->map_cap ? e->map_cap : 256;
  while (cap < need) cap *= 2;
  struct zk_eop **old = e->buckets;
  uint32_t old_cap = e->map_cap;
  e->buckets = calloc(cap, sizeof *e->buckets);
  if (!e->buckets) {
    e->buckets = old;
    return -ENOMEM;
  }
  e->map_cap = cap;
  for (uint32_t i = 0; i < old_cap; i++) {
    for (struct zk_eop *op = old[i], *next; op; op = next) {
      next = op->hnext;
      struct zk_eop **slot = map_slot(e, op->token);
      op->hnext = *slot;
      *slot = op;
    }
  }
  free(old);
  return 0;
}

/* Only after map_reserve made room. */
static void map_put(struct zk_epoll *e, struct zk_eop *op) {
  struct zk_eop **slot = map_slot(e, op->token);
  op->hnext = *slot;
  *slot = op;
  op->mapped = 1;
  e->map_n++;
}

static struct zk_eop *map_find(struct zk_epoll *e, uint32_t token) {
  if (e->map_cap == 0) return NULL;
  for (struct zk_eop *op = *map_slot(e, token); op; op = op->hnext)
    if (op->token == token) return op;
  return NULL;
}

static void map_remove(struct zk_epoll *e, struct zk_eop *op) {
  if (!op->mapped) return;
  for (struct zk_eop **p = map_slot(e, op->token); *p; p = &(*p)->hnext) {
    if (*p == op) {
      *p = op->hnext;
      break;
    }
  }
  op->mapped = 0;
  e->map_n--;
}

/* ---- timers: one timerfd armed at the earliest deadline of a binary min-heap ----
 * One fd per backend whatever the number of timeouts (a timerfd per op would spend an fd, and three syscalls, on
 * each of the thousands of timeouts a server keeps), O(log n) insert and cancel (ops know their heap index). */

static int heap_less(struct zk_epoll *e, uint32_t a, uint32_t b) { return e->heap[a]->deadline < e->heap[b]->deadline; }

static void heap_swap(struct zk_epoll *e, uint32_t a, uint32_t b) {
  struct zk_eop *t = e->heap[a];
  e->heap[a] = e->heap[b];
  e->heap[b] = t;
  e->heap[a]->heap_idx = a;
  e->heap[b]->heap_idx = b;
}

static void heap_up(struct zk_epoll *e, uint32_t i) {
  while (i > 0 && heap_less(e, i, (i - 1) / 2)) {
    heap_swap(e, i, (i - 1) / 2);
    i = (i - 1) / 2;
  }
}

static void heap_down(struct zk_epoll *e, uint32_t i) {
  for (;;) {
    uint32_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < e->heap_n && heap_less(e, l, m)) m = l;
    if (r < e->heap_n && heap_less(e, r, m)) m = r;
    if (m == i) return;
    heap_swap(e, i, m);
    i = m;
  }
}

static int heap_reserve(struct zk_epoll *e, uint64_t extra) {
  uint64_t need = e->heap_n + extra;
  if (need <= e->heap_cap) return 0;
  if (need > (1ULL << 30)) return -ENOMEM;
  uint32_t cap = e->heap_cap ? e->heap_cap : 64;
  while (cap < need) cap *= 2;
  struct zk_eop **heap = realloc(e->heap, cap * sizeof *heap);
  if (!heap) return -ENOMEM;
  e->heap = heap;
  e->heap_cap = cap;
  return 0;
}

static void heap_push(struct zk_epoll *e, struct zk_eop *op) {
  op->heap_idx = e->heap_n;
  e->heap[e->heap_n++] = op;
  heap_up(e, op->heap_idx);
}

static void heap_remove(struct zk_epoll *e, struct zk_eop *op) {
  uint32_t i = op->heap_idx, last = --e->heap_n;
  if (i != last) {
    heap_swap(e, i, last);
    heap_down(e, i);
    heap_up(e, i);
  }
}

/* Points the timerfd at the earliest deadline (or disarms it). */
static void rearm_timer(struct zk_epoll *e) {
  uint64_t want = e->heap_n ? e->heap[0]->deadline : 0;
  if (want == e->timer_armed) return;
  struct itimerspec its = {{0, 0}, {0, 0}};
  if (want) {
    its.it_value.tv_sec = (time_t)(want / 1000000000ULL);
    its.it_value.tv_nsec = (long)(want % 1000000000ULL);
    if (its.it_value.tv_sec == 0 && its.it_value.tv_nsec == 0) its.it_value.tv_nsec = 1; /* 0 would disarm */
  }
  if (timerfd_settime(e->tfd, TFD_TIMER_ABSTIME, &its, NULL) == 0) {
    e->timer_armed = want;
  } else {
    /* Cannot happen with a valid timerfd and time; if it did, expire now rather than never. */
    e->timer_armed = 0;
    kick(e);
  }
}

static void expire_timers(struct zk_epoll *e) {
  uint64_t expirations;
  ssize_t r = read(e->tfd, &expirations, sizeof expirations);
  (void)r; /* EAGAIN: a re-arm raced the read; the heap below is the truth */
  uint64_t now = now_ns();
  while (e->heap_n && e->heap[0]->deadline <= now) {
    struct zk_eop *op = e->heap[0];
    heap_remove(e, op);
    make_ready(e, op, -ETIME);
  }
  e->timer_armed = (uint64_t)-1; /* force a re-arm: the timerfd fired and is disarmed */
  rearm_timer(e);
}

/* ---- readiness: non-blocking attempts, edge-triggered waits (see "Per-fd waiting" in epoll.h) ---- */

static uint64_t watch_tag(const struct zk_watch *w) { return ((uint64_t)w->gen << 32) | (uint32_t)w->fd; }

static struct zk_watch *watch_of(struct zk_epoll *e, int fd) {
  return fd >= 0 && (uint32_t)fd < e->watches_cap ? e->watches[fd] : NULL;
}

static struct zk_list *list_of(struct zk_watch *w, uint8_t dir) {
  return dir == ZK_DIR_READ ? &w->readers : dir == ZK_DIR_WRITE ? &w->writers : &w->pollers;
}

static int watch_reserve(struct zk_epoll *e, int fd) {
  if (fd < 0) return -EBADF;
  if ((uint32_t)fd < e->watches_cap) return 0;
  uint32_t cap = e->watches_cap ? e->watches_cap : 64;
  while (cap <= (uint32_t)fd) cap *= 2;
  struct zk_watch **w = realloc(e->watches, cap * sizeof *w);
  if (!w) return -ENOMEM;
  memset(w + e->watches_cap, 0, (cap - e->watches_cap) * sizeof *w);
  e->watches = w;
  e->watches_cap = cap;
  return 0;
}

/* fd's watch, made if needed; NULL with *err set. */
static struct zk_watch *watch_get(struct zk_epoll *e, int fd, int32_t *err) {
  if ((*err = watch_reserve(e, fd))) return NULL;
  struct zk_watch *w = e->watches[fd];
  if (w) return w;
  if (!(w = calloc(1, sizeof *w))) {
    *err = -ENOMEM;
    return NULL;
  }
  w->fd = fd;
  if (++e->watch_gen >= (1U << 31)) e->watch_gen = 1; /* 0 never names a watch */
  w->gen = e->watch_gen;
  e->watches[fd] = w;
  return w;
}

static void fail_waiters(struct zk_epoll *e, struct zk_list *l, int32_t res) {
  while (l->head) {
    struct zk_eop *op = l->head;
    zk_list_unlink(l, op);
    op->watch = NULL;
    make_ready(e, op, res);
  }
}

/*
 * Brings `w`'s epoll registration in line with what its waiters need: removes and frees it when none is left, else
 * registers the union of their interests, edge-triggered. Skips the syscall when nothing changed, unless `rearm`
 * asks for the re-poll that a MOD implies. `w` may be freed on return.
 */
static void watch_update(struct zk_epoll *e, struct zk_watch *w) {
  if (!w->readers.head && !w->writers.head && !w->pollers.head) {
    if (w->armed && epoll_ctl(e->epfd, EPOLL_CTL_DEL, w->fd, NULL) != 0) {
      /* ENOENT/EBADF: the fd was closed (which removes it from the set): nothing left to undo. */
    }
    e->watches[w->fd] = NULL;
    free(w);
    return;
  }
  uint32_t want = (w->readers.head ? EPOLLIN | EPOLLRDHUP : 0) | (w->writers.head ? EPOLLOUT : 0) | EPOLLET;
  for (struct zk_eop *op = w->pollers.head; op; op = op->next) want |= zk_poll_interest(op->arg);
  if (want == w->armed && !w->rearm) return;
  w->rearm = 0;
  struct epoll_event ev = {.events = want, .data.u64 = watch_tag(w)};
  int rc = epoll_ctl(e->epfd, w->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w->fd, &ev);
  if (rc != 0 && errno == ENOENT) rc = epoll_ctl(e->epfd, EPOLL_CTL_ADD, w->fd, &ev); /* fd number reused */
  else if (rc != 0 && errno == EEXIST) rc = epoll_ctl(e->epfd, EPOLL_CTL_MOD, w->fd, &ev);
  if (rc == 0) {
    w->armed = want;
    return;
  }
  int32_t err = -errno; /* EBADF, EPERM (not pollable), ENOMEM, ENOSPC: the waiters cannot wait */
  fail_waiters(e, &w->readers, err);
  fail_waiters(e, &w->writers, err);
  fail_waiters(e, &w->pollers, err);
  watch_update(e, w); /* frees it */
}

/* READ/WRITE/READV/WRITEV on a stream: RWF_NOWAIT, or plain I/O once the fd turned out O_NONBLOCK without it. */
static int32_t stream_try(struct zk_eop *op) {
  int32_t res = zk_eop_try(op);
  if (res == -EOPNOTSUPP && op->nowait == ZK_NOWAIT_RWF) {
    int fl = fcntl(op->fd, F_GETFL);
    if (fl >= 0 && (fl & O_NONBLOCK)) {
      op->nowait = ZK_NOWAIT_PLAIN;
      res = zk_eop_try(op);
    }
  }
  return res;
}

static int32_t try_op(struct zk_epoll *e, struct zk_eop *op) {
  switch (op->opcode) {
    case ZK_OP_READ:
    case ZK_OP_WRITE:
    case ZK_OP_READV:
    case ZK_OP_WRITEV:
      return stream_try(op);
    default:
      return zk_sock_try(&e->groups, op);
  }
}

/* Whether `res` is one result of many for `op` (else it is the op's final one). */
static int shot_goes_on(const struct zk_eop *op, int32_t res) {
  if (!op->multishot) return 0;
  if (op->opcode == ZK_OP_RECV) return res > 0; /* EOF (0), -ENOBUFS and errors end a multishot receive */
  return res >= 0;                              /* ACCEPT: an fd; POLL_ADD: a ready mask */
}

enum { ZK_ATTEMPT_DONE, ZK_ATTEMPT_WAIT, ZK_ATTEMPT_AGAIN };

/*
 * Attempts `op` until it would block. DONE: its final result is in *res. WAIT: it must wait for an edge. AGAIN: a
 * multishot op took kMaxShots results and must wait although the fd may still be ready, so its watch must re-poll.
 * A shot whose MORE record cannot be queued becomes the final completion instead: what it received is not lost.
 */
static int attempt(struct zk_epoll *e, struct zk_eop *op, int32_t *res) {
  for (unsigned shots = 0;;) {
    int32_t r = try_op(e, op);
    if (r == -EAGAIN) return ZK_ATTEMPT_WAIT;
    if (shot_goes_on(op, r) && more_push(e, op, r) == 0) {
      /* POLL_ADD checks the level once; from then on only edges count, else a readable fd would fire forever. */
      if (op->opcode == ZK_OP_POLL_ADD) return ZK_ATTEMPT_WAIT;
      if (++shots >= kMaxShots) return ZK_ATTEMPT_AGAIN;
      continue;
    }
    *res = r;
    return ZK_ATTEMPT_DONE;
  }
}

/* On an edge: attempts the waiters of one list in FIFO order until one would block again (or the list empties). */
static void retry_list(struct zk_epoll *e, struct zk_watch *w, struct zk_list *l) {
  while (l->head) {
    struct zk_eop *op = l->head;
    int32_t res = 0;
    int r = attempt(e, op, &res);
    if (r == ZK_ATTEMPT_WAIT) return;
    if (r == ZK_ATTEMPT_AGAIN) {
      w->rearm = 1;
      return;
    }
    zk_list_unlink(l, op);
    op->watch = NULL;
    make_ready_kept(e, op, res);
  }
}

/* POLL_ADD waiters complete from the event itself: no syscall, and every poller whose mask matches fires. */
static void fire_pollers(struct zk_epoll *e, struct zk_watch *w, uint32_t events) {
  for (struct zk_eop *op = w->pollers.head, *next; op; op = next) {
    next = op->next;
    int32_t ready = (int32_t)(events & (zk_poll_interest(op->arg) | EPOLLERR | EPOLLHUP));
    if (!ready) continue;
    op->cflags = op->aux = 0;
    if (op->multishot && more_push(e, op, ready) == 0) continue;
    zk_list_unlink(&w->pollers, op);
    op->watch = NULL;
    make_ready_kept(e, op, ready);
  }
}

static void on_watch_event(struct zk_epoll *e, struct zk_watch *w, uint32_t events) {
  if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR)) retry_list(e, w, &w->readers);
  if (events & (EPOLLOUT | EPOLLHUP | EPOLLERR)) retry_list(e, w, &w->writers);
  fire_pollers(e, w, events);
  watch_update(e, w); /* may free w */
}

/* ---- flush ---- */

/* Final completion with the flags and aux the op's last attempt set (COMPLETION_BUFFER, an address length). */
static void make_ready_kept(struct zk_epoll *e, struct zk_eop *op, int32_t res) {
  map_remove(e, op);
  op->res = res;
  op->state = ZK_EOP_READY;
  zk_list_push(&e->ready, op);
}

/* Final completion with no flags or aux: an error, a cancel, a timeout, or an op without either. The reset matters
 * for a multishot op cancelled after a shot: its flags still name that shot's buffer. */
static void make_ready(struct zk_epoll *e, struct zk_eop *op, int32_t res) {
  op->cflags = op->aux = 0;
  make_ready_kept(e, op, res);
}

static void to_pool(struct zk_epoll *e, struct zk_eop *op) {
  map_put(e, op);
  int err = zk_pool_submit(&e->pool, op);
  if (err) make_ready(e, op, err);
}

/* Puts `op` at the tail of its list in its fd's watch: after an attempt said EAGAIN, or behind ops that wait. */
static void wait_for(struct zk_epoll *e, struct zk_eop *op, int rearm) {
  int32_t err;
  struct zk_watch *w = watch_get(e, op->fd, &err);
  if (!w) {
    make_ready(e, op, err);
    return;
  }
  op->state = ZK_EOP_WAITING;
  op->watch = w;
  if (!op->mapped) map_put(e, op);
  zk_list_push(list_of(w, op->dir), op);
  if (rearm) w->rearm = 1;
  watch_update(e, w);
}

/*
 * Starts an op that may wait for readiness (op->dir set): attempted now unless ops of its direction already wait
 * on the fd (FIFO per direction: two receives on a stream must not overtake each other); a POLL_ADD always looks.
 */
static void start_waitable(struct zk_epoll *e, struct zk_eop *op) {
  if (op->fd < 0) { /* poll(2) would ignore it rather than say EBADF */
    make_ready(e, op, -EBADF);
    return;
  }
  struct zk_watch *w = watch_of(e, op->fd);
  int rearm = 0;
  if (op->dir == ZK_DIR_POLL || !w || !list_of(w, op->dir)->head) {
    int32_t res = 0;
    int r = attempt(e, op, &res);
    if (r == ZK_ATTEMPT_DONE) {
      make_ready_kept(e, op, res);
      return;
    }
    rearm = r == ZK_ATTEMPT_AGAIN;
  }
  wait_for(e, op, rearm);
}

/* READ/WRITE/READV/WRITEV on a non-regular fd: try now; on EAGAIN wait for readiness behind earlier waiters. */
static void start_stream_op(struct zk_epoll *e, struct zk_eop *op) {
  op->dir = op->opcode == ZK_OP_READ || op->opcode == ZK_OP_READV ? ZK_DIR_READ : ZK_DIR_WRITE;
  struct zk_watch *w = watch_of(e, op->fd);
  if (!w || !list_of(w, op->dir)->head) { /* nobody ahead of it: try now (FIFO order for ops on the same stream) */
    int32_t res = stream_try(op);
    if (res == -EOPNOTSUPP && op->nowait == ZK_NOWAIT_RWF) {
      to_pool(e, op); /* a blocking fd that cannot say EAGAIN (a tty): a pool thread blocks on it instead */
      return;
    }
    if (res != -EAGAIN) {
      make_ready(e, op, res);
      return;
    }
  }
  wait_for(e, op, 0);
}

/* Whether a socket is blocking (no O_NONBLOCK). 0 or -errno (EBADF). */
static int32_t sock_blocking(int fd, int *blocking) {
  int fl = fcntl(fd, F_GETFL);
  if (fl < 0) return -errno;
  *blocking = !(fl & O_NONBLOCK);
  return 0;
}

static void start_cancel(struct zk_epoll *e, struct zk_eop *op) {
  struct zk_eop *target = map_find(e, op->arg);
  int32_t res = -ENOENT;
  if (target) {
    switch ((enum zk_eop_state)target->state) {
      case ZK_EOP_TIMER:
        heap_remove(e, target);
        make_ready(e, target, -ECANCELED);
        rearm_timer(e);
        res = 0;
        break;
      case ZK_EOP_WAITING: {
        struct zk_watch *w = target->watch;
        zk_list_unlink(list_of(w, target->dir), target);
        target->watch = NULL;
        make_ready(e, target, -ECANCELED);
        watch_update(e, w);
        res = 0;
        break;
      }
      default: /* a pool job: only a queued one can still be stopped */
        res = zk_pool_cancel(&e->pool, target);
        if (res == 0) make_ready(e, target, -ECANCELED);
        break;
    }
  }
  make_ready(e, op, res);
}

/* Decodes and starts one op. Never calls JS; every path ends with the op in exactly one place (epoll.h). */
static void start(struct zk_epoll *e, const struct zk_op_record *rec, struct zk_eop *op) {
  const struct zk_arena_view *a = e->arenas.views;
  uint32_t na = e->arenas.n;
  *op = (struct zk_eop){.token = rec->token, .opcode = rec->opcode, .fd = rec->fd, .fd2 = rec->fd2,
                        .arg = rec->arg, .mode = rec->mode, .len = rec->buf_length};
  int err = 0;
  switch ((enum zk_op)(rec->opcode < ZK_OP_COUNT ? rec->opcode : ZK_OP_COUNT)) {
    case ZK_OP_NOP:
      break;
    case ZK_OP_READ:
    case ZK_OP_WRITE:
    case ZK_OP_READV:
    case ZK_OP_WRITEV: {
      if (rec->opcode == ZK_OP_READV || rec->opcode == ZK_OP_WRITEV) {
        uint32_t count = rec->arg;
        uint8_t *table;
        if (count == 0 || count > ZK_IOV_MAX) {
          err = -EINVAL;
          break;
        }
        if ((err = zk_resolve_buf(a, na, rec->buf_arena, rec->buf_offset, (uint64_t)count * ZK_IOVEC_ENTRY_BYTES,
                                  &table)))
          break;
        /* In place: the table is the op's until its final completion (contract), so a pool thread may read it. */
        if ((err = zk_resolve_iovecs(a, na, table, count, &op->iov))) break;
        op->iovcnt = count;
      } else if ((err = zk_resolve_buf(a, na, rec->buf_arena, rec->buf_offset, rec->buf_length, &op->buf))) {
        break;
      }
      if ((err = zk_resolve_offset(rec->offset, &op->off))) break;
      struct stat st;
      if (fstat(op->fd, &st) != 0) {
        err = -errno; /* EBADF: what read/write would say */
        break;
      }
      if (S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode) || S_ISCHR(st.st_mode)) {
        op->off = (uint64_t)-1; /* a stream has no position: the offset is ignored, as io_uring does (contract) */
        if ((err = watch_reserve(e, op->fd))) break;
        start_stream_op(e, op);
        return;
      }
      to_pool(e, op); /* regular files, block devices, directories (EISDIR): readiness means nothing there */
      return;
    }
    case ZK_OP_OPENAT:
    case ZK_OP_UNLINKAT:
    case ZK_OP_MKDIRAT:
      if ((err = zk_resolve_path(a, na, rec->path_arena, rec->path_offset, &op->path))) break;
      to_pool(e, op);
      return;
    case ZK_OP_RENAMEAT:
      if ((err = zk_resolve_path(a, na, rec->path_arena, rec->path_offset, &op->path))) break;
      if ((err = zk_resolve_path(a, na, rec->path2_arena, rec->path2_offset, &op->path2))) break;
      to_pool(e, op);
      return;
    case ZK_OP_STATX:
      if (rec->buf_length < ZK_STATX_BYTES) {
        err = -EINVAL;
        break;
      }
      if ((err = zk_resolve_buf(a, na, rec->buf_arena, rec->buf_offset, ZK_STATX_BYTES, &op->buf))) break;
      if ((err = zk_resolve_path(a, na, rec->path_arena, rec->path_offset, &op->path))) break;
      to_pool(e, op);
      return;
    case ZK_OP_CLOSE: {
      /* The contract: closing an fd ends the ops waiting on it (ECANCELED) — else they would wait forever, as a
       * closed fd silently leaves the epoll set. */
      struct zk_watch *w = rec->fd >= 0 ? watch_of(e, rec->fd) : NULL;
      if (w) {
        fail_waiters(e, &w->readers, -ECANCELED);
        fail_waiters(e, &w->writers, -ECANCELED);
        fail_waiters(e, &w->pollers, -ECANCELED);
        watch_update(e, w); /* frees it */
      }
      to_pool(e, op);
      return;
    }
    case ZK_OP_FSYNC:
      to_pool(e, op);
      return;
    case ZK_OP_TIMEOUT:
      op->deadline = now_ns() + (uint64_t)rec->arg * 1000000ULL;
      op->state = ZK_EOP_TIMER;
      map_put(e, op);
      heap_push(e, op);
      rearm_timer(e);
      return;
    case ZK_OP_CANCEL:
      start_cancel(e, op);
      return;
    case ZK_OP_BIND:
      if ((err = zk_resolve_addr(a, na, rec, &op->addr, &op->addrlen))) break;
      err = zk_sock_now(op); /* bind, listen, shutdown and socket never block: done here, delivered from the loop */
      break;
    case ZK_OP_SOCKET:
    case ZK_OP_LISTEN:
    case ZK_OP_SHUTDOWN:
      err = zk_sock_now(op);
      break;
    case ZK_OP_ACCEPT: {
      int blocking = 0;
      op->multishot = (rec->mode & ZK_MODE_MULTISHOT) != 0;
      /* The peer address is for single-shot accepts only (contract): shots would overwrite one another's. */
      if (!op->multishot && (err = zk_resolve_addr(a, na, rec, &op->addr, &op->addrlen))) break;
      if ((err = sock_blocking(op->fd, &blocking))) break;
      op->phase = (uint8_t)blocking; /* see epoll_sockets.c: accept4 only after poll(0) on a blocking socket */
      op->dir = ZK_DIR_READ;
      start_waitable(e, op);
      return;
    }
    case ZK_OP_CONNECT: {
      int blocking = 0;
      if ((err = zk_resolve_addr(a, na, rec, &op->addr, &op->addrlen))) break;
      if ((err = sock_blocking(op->fd, &blocking))) break;
      if (blocking) { /* connect() would block the loop for the handshake: a pool thread waits instead */
        to_pool(e, op);
        return;
      }
      op->dir = ZK_DIR_WRITE;
      start_waitable(e, op);
      return;
    }
    case ZK_OP_RECV:
      if (rec->mode & ZK_MODE_BUFFER_SELECT) {
        op->select = 1;
        op->group = rec->mode & ZK_GROUP_MASK;
        op->multishot = (rec->mode & ZK_MODE_MULTISHOT) != 0;
      } else if (rec->mode & ZK_MODE_MULTISHOT) {
        err = -EINVAL; /* as io_uring: a multishot receive needs a fresh (provided) buffer per shot */
        break;
      } else if ((err = zk_resolve_buf(a, na, rec->buf_arena, rec->buf_offset, rec->buf_length, &op->buf))) {
        break;
      }
      op->dir = ZK_DIR_READ;
      start_waitable(e, op);
      return;
    case ZK_OP_SEND:
    case ZK_OP_RECVMSG:
    case ZK_OP_SENDMSG:
      if (rec->mode & (ZK_MODE_BUFFER_SELECT | ZK_MODE_MULTISHOT)) {
        err = -EINVAL; /* only RECV selects buffers; nothing here is multishot */
        break;
      }
      if ((err = zk_resolve_buf(a, na, rec->buf_arena, rec->buf_offset, rec->buf_length, &op->buf))) break;
      if (rec->opcode != ZK_OP_SEND && (err = zk_resolve_addr(a, na, rec, &op->addr, &op->addrlen))) break;
      op->dir = rec->opcode == ZK_OP_RECVMSG ? ZK_DIR_READ : ZK_DIR_WRITE;
      start_waitable(e, op);
      return;
    case ZK_OP_POLL_ADD:
      op->multishot = (rec->mode & ZK_MODE_MULTISHOT) != 0;
      op->dir = ZK_DIR_POLL;
      start_waitable(e, op);
      return;
    case ZK_OP_COUNT:
      err = -EINVAL;
      break;
  }
  make_ready(e, op, err);
}

int zk_epoll_flush(struct zk_epoll *e, uint32_t count) {
  if (count == 0) return 0;
  /* All-or-nothing: allocate every op and reserve the map and heap first, so no op is dropped half-way. */
  struct zk_eop **ops = malloc(count * sizeof *ops);
  if (!ops) return -ENOMEM;
  uint32_t made = 0;
  for (; made < count; made++)
    if (!(ops[made] = malloc(sizeof **ops))) break;
  if (made < count || map_reserve(e, count) || heap_reserve(e, count)) {
    for (uint32_t i = 0; i < made; i++) free(ops[i]);
    free(ops);
    return -ENOMEM;
  }
  for (uint32_t i = 0; i < count; i++) {
    struct zk_op_record rec;
    memcpy(&rec, e->staging + (size_t)i * ZK_OP_RECORD_BYTES, sizeof rec);
    e->in_flight++;
    start(e, &rec, ops[i]);
  }
  free(ops);
  /* Delivered from the loop, never from inside flush (contract rule 6). */
  if (e->ready.head || e->more.n) kick(e);
  uv_ref((uv_handle_t *)&e->poll);
  return 0;
}

/* ---- wake-up and delivery ---- */

/* Moves everything that became ready (pool results, expired timers, ready fds) to the ready list. */
static void harvest(struct zk_epoll *e) {
  struct epoll_event evs[kEvents];
  int n;
  do n = epoll_wait(e->epfd, evs, kEvents, 0);
  while (n < 0 && errno == EINTR);
  for (int i = 0; i < n; i++) {
    uint64_t tag = evs[i].data.u64;
    if (tag == ZK_TAG_EVFD) {
      uint64_t v;
      ssize_t r = read(e->evfd, &v, sizeof v);
      (void)r; /* EAGAIN: already drained; the done list is the truth */
      e->kicked = 0;
      zk_pool_take_done(&e->pool, &e->ready);
    } else if (tag == ZK_TAG_TFD) {
      expire_timers(e);
    } else {
      struct zk_watch *w = watch_of(e, (int)(uint32_t)tag);
      /* No watch, or another generation: a registration that outlived its watch (the fd was closed while a dup
       * kept the file open, so EPOLL_CTL_DEL could not name it). Edge-triggered, it cannot spin; ignore it. */
      if (w && w->gen == (uint32_t)(tag >> 32)) on_watch_event(e, w, evs[i].events);
    }
  }
}

static void dispatch(struct zk_epoll *e) {
  if (e->tearing_down) return;
  napi_handle_scope scope;
  if (napi_open_handle_scope(e->env, &scope) != napi_ok) return;
  e->dispatching++;
  for (int round = 0; round < kMaxRounds && !e->closing; round++) {
    harvest(e);
    if (!e->ready.head && !e->more.n) break;
    uint32_t out = 0;
    /* MORE records first: an op's final record is queued after all of its MORE ones, so JS sees them in order. */
    while (e->more.n && out < e->completion_cap) {
      memcpy(e->completions + (size_t)out * ZK_COMPLETION_RECORD_BYTES, &e->more.recs[e->more.head],
             ZK_COMPLETION_RECORD_BYTES);
      e->more.head = (e->more.head + 1) % e->more.cap;
      e->more.n--;
      out++;
    }
    while (e->ready.head && out < e->completion_cap) {
      struct zk_eop *op = e->ready.head;
      e->ready.head = op->next;
      if (!e->ready.head) e->ready.tail = NULL;
      struct zk_completion_record rec = {.token = op->token, .res = op->res, .flags = op->cflags, .aux = op->aux};
      memcpy(e->completions + (size_t)out * ZK_COMPLETION_RECORD_BYTES, &rec, sizeof rec);
      map_remove(e, op); /* a pool job stays mapped until now, so a late cancel answers -ENOENT */
      free(op);
      out++;
      e->in_flight--;
    }
    zk_call_js(e->env, e->async_ctx, e->callback_ref, out);
  }
  e->dispatching--;
  if (!e->closing && e->box == NULL && e->in_flight == 0) e->closing = 1; /* handle collected, now idle */
  if (!e->closing) {
    if (e->ready.head || e->more.n) kick(e); /* round limit reached: come back on the next loop turn */
    if (e->in_flight > 0)
      uv_ref((uv_handle_t *)&e->poll);
    else
      uv_unref((uv_handle_t *)&e->poll);
  }
  napi_close_handle_scope(e->env, scope);
  if (e->closing && e->dispatching == 0) zk_epoll_begin_close(e);
}

static void on_poll(uv_poll_t *h, int status, int events) {
  (void)status; /* on error, harvesting is still the right thing to try */
  (void)events;
  dispatch(h->data);
}

/* ---- setup and teardown ---- */

int zk_epoll_init(struct zk_epoll *e, const char **step) {
  e->epfd = e->evfd = e->tfd = -1;
  struct epoll_event ev = {.events = EPOLLIN};
  int err;
  if ((e->epfd = epoll_create1(EPOLL_CLOEXEC)) < 0) {
    *step = "epoll_create1";
    goto fail;
  }
  if ((e->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)) < 0) {
    *step = "eventfd";
    goto fail;
  }
  if ((e->tfd = timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)) < 0) {
    *step = "timerfd_create";
    goto fail;
  }
  /* Level-triggered, identified by tags no watch can have. */
  ev.data.u64 = ZK_TAG_EVFD;
  if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->evfd, &ev) != 0) {
    *step = "epoll_ctl";
    goto fail;
  }
  ev.data.u64 = ZK_TAG_TFD;
  if (epoll_ctl(e->epfd, EPOLL_CTL_ADD, e->tfd, &ev) != 0) {
    *step = "epoll_ctl";
    goto fail;
  }
  if ((err = zk_pool_init(&e->pool, e->evfd)) != 0) {
    *step = "pthread_mutex_init";
    errno = -err;
    goto fail;
  }
  return 0;
fail:
  err = -errno;
  close_fd(&e->tfd);
  close_fd(&e->evfd);
  close_fd(&e->epfd);
  return err;
}

int zk_epoll_start(struct zk_epoll *e, uv_loop_t *loop) {
  int err = uv_poll_init(loop, &e->poll, e->epfd);
  if (err) return err;
  e->poll.data = e;
  e->poll_open = 1;
  uv_unref((uv_handle_t *)&e->poll); /* ref'd only while ops are in flight */
  return uv_poll_start(&e->poll, UV_READABLE, on_poll);
}

/* Frees every op the backend still holds. Only after zk_pool_stop: no thread is left to touch one. */
static void free_ops(struct zk_epoll *e) {
  struct zk_list all = {NULL, NULL};
  zk_pool_stop(&e->pool, &all);
  zk_list_splice(&all, &e->ready);
  for (struct zk_eop *op = all.head, *next; op; op = next) {
    next = op->next;
    free(op);
  }
  for (uint32_t i = 0; i < e->heap_n; i++) free(e->heap[i]);
  e->heap_n = 0;
  for (uint32_t fd = 0; fd < e->watches_cap; fd++) {
    struct zk_watch *w = e->watches[fd];
    if (!w) continue;
    for (uint8_t dir = ZK_DIR_READ; dir <= ZK_DIR_POLL; dir++)
      for (struct zk_eop *op = list_of(w, dir)->head, *next; op; op = next) {
        next = op->next;
        free(op);
      }
    free(w); /* its epoll registration goes with the epoll fd */
  }
  zk_groups_free(&e->groups); /* bookkeeping only: the buffers are arena memory */
  free(e->more.recs);
  e->more = (struct zk_more_ring){NULL, 0, 0, 0};
  free(e->watches);
  e->watches = NULL;
  e->watches_cap = 0;
  free(e->heap);
  e->heap = NULL;
  free(e->buckets); /* an index only: its ops were freed above */
  e->buckets = NULL;
  e->map_n = e->map_cap = 0;
}

static void free_backend(struct zk_epoll *e) {
  napi_env env = e->env;
  free_ops(e);
  zk_pool_destroy(&e->pool);
  close_fd(&e->tfd);
  close_fd(&e->evfd);
  close_fd(&e->epfd);
  if (e->staging_ref) napi_delete_reference(env, e->staging_ref);
  if (e->completions_ref) napi_delete_reference(env, e->completions_ref);
  if (e->callback_ref) napi_delete_reference(env, e->callback_ref);
  zk_arena_table_free(env, &e->arenas);
  if (e->async_ctx) napi_async_destroy(env, e->async_ctx);
  if (e->box) e->box->e = NULL;
  napi_async_cleanup_hook_handle hook = e->hook;
  free(e);
  /* Last: at env cleanup, Node waits for this before tearing the env down. */
  if (hook) napi_remove_async_cleanup_hook(hook);
}

void zk_epoll_free_unstarted(struct zk_epoll *e) { free_backend(e); }

static void on_closed(uv_handle_t *h) {
  struct zk_epoll *e = h->data;
  e->poll_open = 0;
  free_backend(e);
}

void zk_epoll_begin_close(struct zk_epoll *e) {
  e->closing = 1;
  if (e->dispatching > 0 || e->tearing_down) return; /* dispatch() calls back here once unwound */
  e->tearing_down = 1;
  /* Join the pool now, on this thread, so that no worker outlives the env; ops dropped here (env cleanup only) have
   * no JS left to tell. */
  free_ops(e);
  e->in_flight = 0;
  if (e->poll_open)
    uv_close((uv_handle_t *)&e->poll, on_closed);
  else
    free_backend(e);
}

void zk_epoll_on_env_cleanup(napi_async_cleanup_hook_handle handle, void *arg) {
  (void)handle; /* the same handle napi_add_async_cleanup_hook gave us; free_backend removes it */
  struct zk_epoll *e = arg;
  if (e->tearing_down) return; /* close() already began teardown; free_backend releases the env */
  zk_epoll_begin_close(e);
}
