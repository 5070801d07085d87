/*
 * epoll_sockets.c: the socket syscalls of the epoll backend, one non-blocking attempt at a time. The engine
 * (epoll.c) decides when to attempt (at flush, then on each edge of the fd's zk_watch) and what a result means
 * (final, or one shot of a multishot op); this file only makes the syscall and shapes its result.
 *
 * Protocol:
 * - zk_sock_try never blocks: receives and sends pass MSG_DONTWAIT (so a socket without O_NONBLOCK works too),
 *   accept4 runs on a blocking listening socket only after poll(0) said it is readable (op->phase = 1; another
 *   process could still take the connection in between, a documented residual risk), CONNECT is only tried here on
 *   an O_NONBLOCK socket (epoll.c sends a blocking one to the pool). -EAGAIN means "wait for the next edge".
 * - A buffer-select RECV peeks at its group's head buffer, receives into it, and takes it only if bytes arrived:
 *   a result <= 0 consumes no buffer (contract). With the group empty it asks the socket with a 1-byte MSG_PEEK
 *   whether data is ready: yes -> -ENOBUFS, EOF -> 0, nothing -> -EAGAIN (keep waiting; an idle receive holds no
 *   buffer and does not fail).
 * - Every attempt resets op->cflags and op->aux, then sets them for the completion this result would make
 *   (COMPLETION_BUFFER + buffer id; ACCEPT's and RECVMSG's address length).
 * - Every fd made here is close-on-exec and non-blocking (SOCKET, ACCEPT): the backend needs the latter to wait.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "epoll.h"

/* As epoll_pool.c: Linux moves at most this much per call; clamping keeps results within an int32. */
#define ZK_MAX_RW 0x7ffff000U

static int32_t neg_errno(long r) { return r < 0 ? -(int32_t)errno : (int32_t)r; }

/* EAGAIN and EWOULDBLOCK are one value on Linux; the compare keeps that assumption in one place. */
static int32_t again_or(long r) {
  if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return -EAGAIN;
  return neg_errno(r);
}

uint32_t zk_poll_interest(uint32_t mask) {
  /* poll(2) and epoll share these bit values on Linux; EPOLLERR/EPOLLHUP are always reported, and the control bits
   * (EPOLLET, EPOLLONESHOT, EPOLLEXCLUSIVE, EPOLLWAKEUP) must never come from a caller's mask. */
  return mask & (uint32_t)(EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND |
                           EPOLLMSG | EPOLLRDHUP);
}

/* poll(fd, events, 0): the revents, or -EBADF for a closed fd. */
static int32_t poll_now(int fd, short events) {
  struct pollfd p = {.fd = fd, .events = events};
  int n;
  do n = poll(&p, 1, 0);
  while (n < 0 && errno == EINTR);
  if (n < 0) return -errno;
  if (p.revents & POLLNVAL) return -EBADF;
  return p.revents;
}

int32_t zk_sock_now(struct zk_eop *op) {
  switch ((enum zk_op)op->opcode) {
    case ZK_OP_SOCKET:
      return neg_errno(socket((int)op->arg, (int)(op->mode | SOCK_NONBLOCK | SOCK_CLOEXEC), op->fd2));
    case ZK_OP_BIND:
      return neg_errno(bind(op->fd, op->addr, op->addrlen));
    case ZK_OP_LISTEN:
      return neg_errno(listen(op->fd, (int)op->arg));
    case ZK_OP_SHUTDOWN:
      return neg_errno(shutdown(op->fd, (int)op->arg));
    default:
      return -EINVAL;
  }
}

static int32_t try_accept(struct zk_eop *op) {
  if (op->phase == 1) { /* a blocking listening socket: accept4 only when a connection is queued */
    int32_t ready = poll_now(op->fd, POLLIN);
    if (ready < 0) return ready;
    if (!(ready & (POLLIN | POLLERR | POLLHUP))) return -EAGAIN;
  }
  socklen_t len = op->addrlen;
  int fd;
  do fd = accept4(op->fd, op->addr, op->addr ? &len : NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd >= 0 && op->addr) op->aux = len;
  return again_or(fd);
}

static int32_t try_connect(struct zk_eop *op) {
  if (op->phase == 0) {
    if (connect(op->fd, op->addr, op->addrlen) == 0) return 0;
    /* EINTR on a non-blocking connect: the handshake goes on in the background, as with EINPROGRESS. */
    if (errno == EINPROGRESS || errno == EINTR) {
      op->phase = 1;
      return -EAGAIN;
    }
    return again_or(-1); /* EAGAIN: a Unix listener's backlog is full; connect again on the next edge */
  }
  /* In progress: done once writable (or in error). An edge meant for another writer may get us here early. */
  int32_t ready = poll_now(op->fd, POLLOUT);
  if (ready < 0) return ready;
  if (!(ready & (POLLOUT | POLLERR | POLLHUP))) return -EAGAIN;
  int err = 0;
  socklen_t len = sizeof err;
  if (getsockopt(op->fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0) return -errno;
  return -err;
}

static int32_t try_recv_select(struct zk_bgroups *groups, struct zk_eop *op) {
  struct zk_bgroup *g = zk_groups_get(groups, op->group);
  uint32_t bid = 0;
  struct zk_pbuf *b = g ? zk_group_peek(g, &bid) : NULL;
  ssize_t n;
  if (!b) { /* an unknown group counts as empty, as io_uring's -ENOBUFS for it */
    char probe;
    do n = recv(op->fd, &probe, 1, MSG_PEEK | MSG_DONTWAIT);
    while (n < 0 && errno == EINTR);
    if (n > 0) return -ENOBUFS;
    return again_or(n); /* 0 (EOF: no data, no buffer), -EAGAIN, or the error */
  }
  size_t len = b->len;
  if (op->len != 0 && op->len < len) len = op->len; /* the record's length, when set, caps the buffer's */
  if (len > ZK_MAX_RW) len = ZK_MAX_RW;
  do n = recv(op->fd, b->data, len, (int)op->arg | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n > 0) {
    zk_group_take(g);
    op->cflags = ZK_COMPLETION_BUFFER;
    op->aux = bid;
  }
  return again_or(n);
}

int32_t zk_sock_try(struct zk_bgroups *groups, struct zk_eop *op) {
  op->cflags = 0;
  op->aux = 0;
  size_t len = op->len > ZK_MAX_RW ? ZK_MAX_RW : op->len;
  ssize_t n;
  switch ((enum zk_op)op->opcode) {
    case ZK_OP_ACCEPT:
      return try_accept(op);
    case ZK_OP_CONNECT:
      return try_connect(op);
    case ZK_OP_RECV:
      if (op->select) return try_recv_select(groups, op);
      do n = recv(op->fd, op->buf, len, (int)op->arg | MSG_DONTWAIT);
      while (n < 0 && errno == EINTR);
      return again_or(n);
    case ZK_OP_SEND:
      do n = send(op->fd, op->buf, len, (int)op->arg | MSG_NOSIGNAL | MSG_DONTWAIT);
      while (n < 0 && errno == EINTR);
      return again_or(n);
    case ZK_OP_RECVMSG:
    case ZK_OP_SENDMSG: {
      struct iovec iov = {.iov_base = op->buf, .iov_len = len};
      struct msghdr m = {.msg_name = op->addr, .msg_namelen = op->addrlen, .msg_iov = &iov, .msg_iovlen = 1};
      if (op->opcode == ZK_OP_RECVMSG) {
        do n = recvmsg(op->fd, &m, (int)op->arg | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
        if (n >= 0 && op->addr) op->aux = m.msg_namelen;
      } else {
        do n = sendmsg(op->fd, &m, (int)op->arg | MSG_NOSIGNAL | MSG_DONTWAIT);
        while (n < 0 && errno == EINTR);
      }
      return again_or(n);
    }
    case ZK_OP_POLL_ADD: {
      /* As io_uring: the ready events among those asked for, plus POLLERR/POLLHUP, which are always reported. */
      uint32_t want = zk_poll_interest(op->arg);
      int32_t ready = poll_now(op->fd, (short)want);
      if (ready < 0) return ready;
      ready &= (int32_t)(want | POLLERR | POLLHUP);
      return ready ? ready : -EAGAIN;
    }
    default:
      return -EINVAL;
  }
}
