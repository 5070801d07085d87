/*
 * epoll_pool.c: the epoll backend's thread pool (see epoll.h) and the syscalls its ops make.
 *
 * Protocol: the JS thread queues a job under `mu` and signals `cv`; a worker takes the oldest job (QUEUED ->
 * RUNNING), runs it without the lock, then under the lock marks it DONE and appends it to `done`, and after
 * unlocking writes the eventfd so the loop wakes and collects it. Threads start on demand, up to ZK_POOL_THREADS,
 * with every signal blocked so that Node's signal handling stays on its own threads. Stopping sets `stop`, wakes
 * everyone and joins: a running job finishes first (file syscalls do not block indefinitely, except the documented
 * fallback of a blocking read on a pipe whose fd is neither O_NONBLOCK nor RWF_NOWAIT-capable).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "epoll.h"

/* A worker's stack: the ops here are a syscall deep. 256 KiB leaves room for libc and ASan. */
#define ZK_POOL_STACK (256U * 1024U)
/* Linux transfers at most this much per read/write; clamping keeps the result within an int32. */
#define ZK_MAX_RW 0x7ffff000U

static int32_t neg_errno(long r) { return r < 0 ? -(int32_t)errno : (int32_t)r; }

int32_t zk_eop_run(struct zk_eop *op) {
  size_t len = op->len > ZK_MAX_RW ? ZK_MAX_RW : op->len;
  switch ((enum zk_op)op->opcode) {
    case ZK_OP_READ:
      return neg_errno(op->off == (uint64_t)-1 ? read(op->fd, op->buf, len) : pread(op->fd, op->buf, len, (off_t)op->off));
    case ZK_OP_WRITE:
      return neg_errno(op->off == (uint64_t)-1 ? write(op->fd, op->buf, len)
                                               : pwrite(op->fd, op->buf, len, (off_t)op->off));
    case ZK_OP_READV:
      return neg_errno(op->off == (uint64_t)-1 ? readv(op->fd, op->iov, (int)op->iovcnt)
                                               : preadv(op->fd, op->iov, (int)op->iovcnt, (off_t)op->off));
    case ZK_OP_WRITEV:
      return neg_errno(op->off == (uint64_t)-1 ? writev(op->fd, op->iov, (int)op->iovcnt)
                                               : pwritev(op->fd, op->iov, (int)op->iovcnt, (off_t)op->off));
    case ZK_OP_CONNECT:
      /* Only a socket without O_NONBLOCK comes here: the thread blocks for the handshake, which (unlike a waiting
       * read) always ends, at worst at the kernel's connect timeout. */
      return neg_errno(connect(op->fd, op->addr, op->addrlen));
    case ZK_OP_OPENAT:
      /* Always close-on-exec, as libuv and Node's fs do: a child process must not inherit the runtime's fds. */
      return neg_errno(openat(op->fd, op->path, (int)(op->arg | (uint32_t)O_CLOEXEC), (mode_t)op->mode));
    case ZK_OP_CLOSE:
      /* Linux releases the fd even when close reports EINTR; retrying could close someone else's new fd. */
      return neg_errno(close(op->fd));
    case ZK_OP_FSYNC:
      return neg_errno((op->arg & 1U) ? fdatasync(op->fd) : fsync(op->fd));
    case ZK_OP_STATX:
      /* The raw syscall into the caller's 256-byte buffer: the same bytes io_uring's STATX writes. */
      return neg_errno(syscall(SYS_statx, op->fd, op->path, (int)op->mode, (unsigned)op->arg, op->buf));
    case ZK_OP_UNLINKAT:
      return neg_errno(unlinkat(op->fd, op->path, (int)op->arg));
    case ZK_OP_RENAMEAT:
      return neg_errno(syscall(SYS_renameat2, op->fd, op->path, op->fd2, op->path2, (unsigned)op->arg));
    case ZK_OP_MKDIRAT:
      return neg_errno(mkdirat(op->fd, op->path, (mode_t)op->mode));
    default:
      return -EINVAL; /* never queued: flush completes the rest itself */
  }
}

int32_t zk_eop_try(struct zk_eop *op) {
  size_t len = op->len > ZK_MAX_RW ? ZK_MAX_RW : op->len;
  struct iovec one = {op->buf, len};
  int vectored = op->opcode == ZK_OP_READV || op->opcode == ZK_OP_WRITEV;
  int reading = op->opcode == ZK_OP_READ || op->opcode == ZK_OP_READV;
  const struct iovec *iov = vectored ? op->iov : &one;
  int cnt = vectored ? (int)op->iovcnt : 1;
  off_t off = op->off == (uint64_t)-1 ? (off_t)-1 : (off_t)op->off; /* -1: current position, as for preadv2 */
  ssize_t n;
  do {
    if (op->nowait == ZK_NOWAIT_PLAIN) {
      if (op->off != (uint64_t)-1)
        n = reading ? preadv(op->fd, iov, cnt, off) : pwritev(op->fd, iov, cnt, off);
      else
        n = reading ? readv(op->fd, iov, cnt) : writev(op->fd, iov, cnt);
    } else {
      n = reading ? preadv2(op->fd, iov, cnt, off, RWF_NOWAIT) : pwritev2(op->fd, iov, cnt, off, RWF_NOWAIT);
    }
  } while (n < 0 && errno == EINTR);
  if (n < 0 && errno == EWOULDBLOCK) return -EAGAIN;
  return neg_errno(n);
}

/* ---- workers ---- */

static void *worker(void *arg) {
  struct zk_pool *p = arg;
  pthread_mutex_lock(&p->mu);
  for (;;) {
    while (!p->queue.head && !p->stop) {
      p->idle++;
      pthread_cond_wait(&p->cv, &p->mu);
      p->idle--;
    }
    if (p->stop) break; /* queued jobs are handed back by zk_pool_stop */
    struct zk_eop *op = p->queue.head;
    zk_list_unlink(&p->queue, op);
    p->queued--;
    op->state = ZK_EOP_RUNNING;
    pthread_mutex_unlock(&p->mu);

    int32_t res = zk_eop_run(op); /* the op is this thread's alone while RUNNING */

    pthread_mutex_lock(&p->mu);
    op->res = res;
    op->state = ZK_EOP_DONE;
    zk_list_push(&p->done, op);
    pthread_mutex_unlock(&p->mu);
    /* Outside the lock: the loop may be reading the eventfd. A failed write can only be EAGAIN (the counter is
     * near 2^64), and then the eventfd is readable anyway, so the loop still wakes. */
    uint64_t one = 1;
    ssize_t w;
    do w = write(p->evfd, &one, sizeof one);
    while (w < 0 && errno == EINTR);
    pthread_mutex_lock(&p->mu);
  }
  pthread_mutex_unlock(&p->mu);
  return NULL;
}

/* Under mu. Starts one more thread with every signal blocked. 0 or a negated errno. */
static int spawn(struct zk_pool *p) {
  pthread_attr_t attr;
  sigset_t all, old;
  int err = pthread_attr_init(&attr);
  if (err) return -err;
  err = pthread_attr_setstacksize(&attr, ZK_POOL_STACK);
  if (!err) {
    sigfillset(&all);
    err = pthread_sigmask(SIG_SETMASK, &all, &old);
    if (!err) {
      err = pthread_create(&p->threads[p->nthreads], &attr, worker, p);
      int restore = pthread_sigmask(SIG_SETMASK, &old, NULL);
      (void)restore; /* restoring a mask we just read cannot fail */
      if (!err) p->nthreads++;
    }
  }
  pthread_attr_destroy(&attr);
  return -err;
}

int zk_pool_init(struct zk_pool *p, int evfd) {
  *p = (struct zk_pool){.evfd = evfd};
  int err = pthread_mutex_init(&p->mu, NULL);
  if (err) return -err;
  err = pthread_cond_init(&p->cv, NULL);
  if (err) {
    pthread_mutex_destroy(&p->mu);
    return -err;
  }
  p->mu_ready = 1;
  return 0;
}

int zk_pool_submit(struct zk_pool *p, struct zk_eop *op) {
  pthread_mutex_lock(&p->mu);
  op->state = ZK_EOP_QUEUED;
  zk_list_push(&p->queue, op);
  p->queued++;
  if (p->queued > p->idle && p->nthreads < ZK_POOL_THREADS) {
    int err = spawn(p);
    if (err && p->nthreads == 0) { /* no thread will ever take it: hand it back */
      zk_list_unlink(&p->queue, op);
      p->queued--;
      pthread_mutex_unlock(&p->mu);
      return err;
    }
    /* With at least one thread, a failed spawn only means less parallelism. */
  }
  pthread_cond_signal(&p->cv);
  pthread_mutex_unlock(&p->mu);
  return 0;
}

int zk_pool_cancel(struct zk_pool *p, struct zk_eop *op) {
  int res;
  pthread_mutex_lock(&p->mu);
  if (op->state == ZK_EOP_QUEUED) {
    zk_list_unlink(&p->queue, op);
    p->queued--;
    op->state = ZK_EOP_READY;
    res = 0;
  } else {
    res = op->state == ZK_EOP_RUNNING ? -EALREADY : -ENOENT;
  }
  pthread_mutex_unlock(&p->mu);
  return res;
}

void zk_pool_take_done(struct zk_pool *p, struct zk_list *out) {
  pthread_mutex_lock(&p->mu);
  for (struct zk_eop *op = p->done.head; op; op = op->next) op->state = ZK_EOP_READY;
  zk_list_splice(out, &p->done);
  pthread_mutex_unlock(&p->mu);
}

void zk_pool_stop(struct zk_pool *p, struct zk_list *out) {
  if (!p->mu_ready) return;
  pthread_mutex_lock(&p->mu);
  p->stop = 1;
  pthread_cond_broadcast(&p->cv);
  pthread_mutex_unlock(&p->mu);
  for (int i = 0; i < p->nthreads; i++) {
    int err = pthread_join(p->threads[i], NULL);
    (void)err; /* only EDEADLK/EINVAL/ESRCH, impossible for our own joinable threads */
  }
  p->nthreads = 0;
  /* No thread is left: the lists are ours without the lock. */
  zk_list_splice(out, &p->queue);
  zk_list_splice(out, &p->done);
  p->queued = 0;
}

void zk_pool_destroy(struct zk_pool *p) {
  if (!p->mu_ready) return;
  pthread_cond_destroy(&p->cv);
  pthread_mutex_destroy(&p->mu);
  p->mu_ready = 0;
}
