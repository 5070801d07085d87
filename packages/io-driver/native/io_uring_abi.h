/*
 * io_uring_abi.h: the slice of the Linux io_uring ABI that zokio uses, written out by hand.
 *
 * Why not <linux/io_uring.h>: the build machine's kernel headers may be older than the kernel the addon runs on
 * (and are absent on musl or old distributions), while the ABI itself is stable and append-only. Every layout
 * below is pinned with _Static_asserts on size and field offsets, so a typo fails the build instead of corrupting
 * a ring. Values follow include/uapi/linux/io_uring.h of Linux 6.x; only what zokio uses is listed.
 */
#ifndef ZOKIO_IO_URING_ABI_H
#define ZOKIO_IO_URING_ABI_H

#include <stddef.h>
#include <stdint.h>
#include <sys/syscall.h>

/* The three syscalls share one number on every architecture but alpha (they arrived after the 5.1 unification). */
#ifndef __NR_io_uring_setup
#define __NR_io_uring_setup 425
#endif
#ifndef __NR_io_uring_enter
#define __NR_io_uring_enter 426
#endif
#ifndef __NR_io_uring_register
#define __NR_io_uring_register 427
#endif

/* ---- Submission queue entry: 64 bytes. Only the union members zokio writes are named. ---- */
struct zk_io_uring_sqe {
  uint8_t opcode;     /*  0: IORING_OP_* */
  uint8_t flags;      /*  1: IOSQE_* */
  uint16_t ioprio;    /*  2 */
  int32_t fd;         /*  4: fd, or dirfd for *at ops */
  uint64_t off;       /*  8: file offset; addr2 (statx buffer, renameat new path); cancel: unused */
  uint64_t addr;      /* 16: buffer, path, timespec, cancel target user_data */
  uint32_t len;       /* 24: buffer length; mode (openat, mkdirat); statx mask; renameat new dirfd; timeout count */
  uint32_t op_flags;  /* 28: rw_flags, fsync_flags, open_flags, statx_flags, timeout_flags, cancel_flags, ... */
  uint64_t user_data; /* 32: echoed in the CQE */
  uint16_t buf_index; /* 40: buf_index / buf_group */
  uint16_t personality; /* 42 */
  uint32_t file_index;  /* 44: splice_fd_in / file_index / optlen */
  uint64_t addr3;       /* 48 */
  uint64_t pad2;        /* 56 */
};
_Static_assert(sizeof(struct zk_io_uring_sqe) == 64, "sqe size");
_Static_assert(offsetof(struct zk_io_uring_sqe, fd) == 4, "sqe.fd");
_Static_assert(offsetof(struct zk_io_uring_sqe, off) == 8, "sqe.off");
_Static_assert(offsetof(struct zk_io_uring_sqe, addr) == 16, "sqe.addr");
_Static_assert(offsetof(struct zk_io_uring_sqe, len) == 24, "sqe.len");
_Static_assert(offsetof(struct zk_io_uring_sqe, op_flags) == 28, "sqe.op_flags");
_Static_assert(offsetof(struct zk_io_uring_sqe, user_data) == 32, "sqe.user_data");
_Static_assert(offsetof(struct zk_io_uring_sqe, buf_index) == 40, "sqe.buf_index");
_Static_assert(offsetof(struct zk_io_uring_sqe, file_index) == 44, "sqe.file_index");
_Static_assert(offsetof(struct zk_io_uring_sqe, addr3) == 48, "sqe.addr3");

/* ---- Completion queue entry: 16 bytes (no IORING_SETUP_CQE32). ---- */
struct zk_io_uring_cqe {
  uint64_t user_data; /* 0 */
  int32_t res;        /* 8: result or -errno */
  uint32_t flags;     /* 12: IORING_CQE_F_*; upper 16 bits: provided-buffer id */
};
_Static_assert(sizeof(struct zk_io_uring_cqe) == 16, "cqe size");
_Static_assert(offsetof(struct zk_io_uring_cqe, res) == 8, "cqe.res");
_Static_assert(offsetof(struct zk_io_uring_cqe, flags) == 12, "cqe.flags");

/* ---- io_uring_setup(2) parameters: 120 bytes. ---- */
struct zk_io_sqring_offsets {
  uint32_t head, tail, ring_mask, ring_entries, flags, dropped, array, resv1;
  uint64_t user_addr;
};
struct zk_io_cqring_offsets {
  uint32_t head, tail, ring_mask, ring_entries, overflow, cqes, flags, resv1;
  uint64_t user_addr;
};
struct zk_io_uring_params {
  uint32_t sq_entries;     /*  0 */
  uint32_t cq_entries;     /*  4 */
  uint32_t flags;          /*  8: IORING_SETUP_* */
  uint32_t sq_thread_cpu;  /* 12 */
  uint32_t sq_thread_idle; /* 16 */
  uint32_t features;       /* 20: IORING_FEAT_*, filled by the kernel */
  uint32_t wq_fd;          /* 24 */
  uint32_t resv[3];        /* 28 */
  struct zk_io_sqring_offsets sq_off; /* 40 */
  struct zk_io_cqring_offsets cq_off; /* 80 */
};
_Static_assert(sizeof(struct zk_io_sqring_offsets) == 40, "sqring offsets size");
_Static_assert(sizeof(struct zk_io_cqring_offsets) == 40, "cqring offsets size");
_Static_assert(offsetof(struct zk_io_sqring_offsets, array) == 24, "sq_off.array");
_Static_assert(offsetof(struct zk_io_cqring_offsets, cqes) == 20, "cq_off.cqes");
_Static_assert(offsetof(struct zk_io_cqring_offsets, flags) == 24, "cq_off.flags");
_Static_assert(sizeof(struct zk_io_uring_params) == 120, "params size");
_Static_assert(offsetof(struct zk_io_uring_params, features) == 20, "params.features");
_Static_assert(offsetof(struct zk_io_uring_params, sq_off) == 40, "params.sq_off");
_Static_assert(offsetof(struct zk_io_uring_params, cq_off) == 80, "params.cq_off");

/* ---- IORING_REGISTER_PROBE result: 16-byte header + 8 bytes per opcode. ---- */
struct zk_io_uring_probe_op {
  uint8_t op;
  uint8_t resv;
  uint16_t flags; /* IO_URING_OP_SUPPORTED */
  uint32_t resv2;
};
struct zk_io_uring_probe {
  uint8_t last_op; /* last opcode the kernel knows */
  uint8_t ops_len; /* entries filled in ops[] */
  uint16_t resv;
  uint32_t resv2[3];
  struct zk_io_uring_probe_op ops[]; /* flexible array member */
};
_Static_assert(sizeof(struct zk_io_uring_probe_op) == 8, "probe op size");
_Static_assert(sizeof(struct zk_io_uring_probe) == 16, "probe header size");
_Static_assert(offsetof(struct zk_io_uring_probe, ops) == 16, "probe.ops");
#define IO_URING_OP_SUPPORTED (1U << 0)

/* __kernel_timespec: 64-bit seconds on every architecture. */
struct zk_kernel_timespec {
  int64_t tv_sec;
  int64_t tv_nsec; /* long long in the uapi header */
};
_Static_assert(sizeof(struct zk_kernel_timespec) == 16, "kernel timespec size");

/* mmap offsets of the three regions. */
#define IORING_OFF_SQ_RING 0ULL
#define IORING_OFF_CQ_RING 0x8000000ULL
#define IORING_OFF_SQES 0x10000000ULL

/* io_uring_setup flags (zokio requests a subset; see uring.c for why each). */
#define IORING_SETUP_IOPOLL (1U << 0)
#define IORING_SETUP_SQPOLL (1U << 1) /* never used: see uring.c */
#define IORING_SETUP_CQSIZE (1U << 3)
#define IORING_SETUP_CLAMP (1U << 4)
#define IORING_SETUP_SUBMIT_ALL (1U << 7)
#define IORING_SETUP_COOP_TASKRUN (1U << 8)
#define IORING_SETUP_TASKRUN_FLAG (1U << 9)
#define IORING_SETUP_SINGLE_ISSUER (1U << 12)
#define IORING_SETUP_DEFER_TASKRUN (1U << 13) /* never used: see uring.c */

/* Features reported by the kernel in params.features. */
#define IORING_FEAT_SINGLE_MMAP (1U << 0)
#define IORING_FEAT_NODROP (1U << 1)
#define IORING_FEAT_SUBMIT_STABLE (1U << 2)
#define IORING_FEAT_RW_CUR_POS (1U << 3)
#define IORING_FEAT_CUR_PERSONALITY (1U << 4)
#define IORING_FEAT_FAST_POLL (1U << 5)
#define IORING_FEAT_POLL_32BITS (1U << 6)
#define IORING_FEAT_SQPOLL_NONFIXED (1U << 7)
#define IORING_FEAT_EXT_ARG (1U << 8)
#define IORING_FEAT_NATIVE_WORKERS (1U << 9)
#define IORING_FEAT_RSRC_TAGS (1U << 10)
#define IORING_FEAT_CQE_SKIP (1U << 11)
#define IORING_FEAT_LINKED_FILE (1U << 12)

/* ---- Provided-buffer rings (IORING_REGISTER_PBUF_RING, 5.19): 16-byte entries in a page-aligned ring. ---- */
struct zk_io_uring_buf {
  uint64_t addr;
  uint32_t len;
  uint16_t bid;
  uint16_t resv; /* entry 0's resv is the ring's tail: never written through an entry */
};
_Static_assert(sizeof(struct zk_io_uring_buf) == 16, "io_uring_buf size");
_Static_assert(offsetof(struct zk_io_uring_buf, bid) == 12, "io_uring_buf.bid");
/* The tail overlays bufs[0].resv: byte 14 of the ring, a u16 published with a release store. */
#define ZK_IO_URING_BUF_RING_TAIL_OFFSET 14
struct zk_io_uring_buf_reg {
  uint64_t ring_addr;
  uint32_t ring_entries; /* a power of two, at most 32768 */
  uint16_t bgid;
  uint16_t flags; /* IOU_PBUF_RING_MMAP (0: we own the memory) */
  uint64_t resv[3];
};
_Static_assert(sizeof(struct zk_io_uring_buf_reg) == 40, "io_uring_buf_reg size");
_Static_assert(offsetof(struct zk_io_uring_buf_reg, bgid) == 12, "io_uring_buf_reg.bgid");

/* ---- Registered (fixed) buffers: IORING_REGISTER_BUFFERS2 / IORING_REGISTER_BUFFERS_UPDATE (5.13). ---- */
struct zk_io_uring_rsrc_register {
  uint32_t nr;
  uint32_t flags; /* IORING_RSRC_REGISTER_SPARSE */
  uint64_t resv2;
  uint64_t data; /* struct iovec[nr], or 0 when sparse */
  uint64_t tags;
};
_Static_assert(sizeof(struct zk_io_uring_rsrc_register) == 32, "rsrc_register size");
struct zk_io_uring_rsrc_update2 {
  uint32_t offset;
  uint32_t resv;
  uint64_t data; /* struct iovec[nr] */
  uint64_t tags;
  uint32_t nr;
  uint32_t resv2;
};
_Static_assert(sizeof(struct zk_io_uring_rsrc_update2) == 32, "rsrc_update2 size");
_Static_assert(offsetof(struct zk_io_uring_rsrc_update2, nr) == 24, "rsrc_update2.nr");
#define IORING_RSRC_REGISTER_SPARSE (1U << 0)

/* io_uring_enter flags. */
#define IORING_ENTER_GETEVENTS (1U << 0)

/* Flags the kernel sets in the SQ ring's flags word. */
#define IORING_SQ_NEED_WAKEUP (1U << 0)
#define IORING_SQ_CQ_OVERFLOW (1U << 1) /* completions wait in the kernel's overflow list */
#define IORING_SQ_TASKRUN (1U << 2)     /* task work is pending: run it with io_uring_enter(GETEVENTS) */

/* CQE flags. */
#define IORING_CQE_F_BUFFER (1U << 0)
#define IORING_CQE_F_MORE (1U << 1)
#define IORING_CQE_BUFFER_SHIFT 16

/* io_uring_register opcodes. */
#define IORING_REGISTER_PROBE 8U
#define IORING_REGISTER_BUFFERS2 15U
#define IORING_REGISTER_BUFFERS_UPDATE 16U
#define IORING_REGISTER_PBUF_RING 22U
#define IORING_UNREGISTER_PBUF_RING 23U

/* SQE flags (sqe.flags). */
#define IOSQE_BUFFER_SELECT (1U << 5) /* pick a buffer from group sqe.buf_index */

/* sqe.ioprio for ACCEPT / RECV, sqe.len for POLL_ADD: the multishot bits. */
#define IORING_ACCEPT_MULTISHOT (1U << 0)
#define IORING_RECV_MULTISHOT (1U << 1)
#define IORING_POLL_ADD_MULTI (1U << 0)

/* Per-op flags. */
#define IORING_FSYNC_DATASYNC (1U << 0)
#define IORING_ASYNC_CANCEL_ALL (1U << 0)
#define IORING_ASYNC_CANCEL_FD (1U << 1)
#define IORING_ASYNC_CANCEL_ANY (1U << 2)

/* Opcodes (enum io_uring_op): only those zokio maps to, plus the ones the probe reports by name. */
#define IORING_OP_NOP 0
#define IORING_OP_READV 1
#define IORING_OP_WRITEV 2
#define IORING_OP_FSYNC 3
#define IORING_OP_READ_FIXED 4
#define IORING_OP_WRITE_FIXED 5
#define IORING_OP_POLL_ADD 6
#define IORING_OP_SENDMSG 9
#define IORING_OP_RECVMSG 10
#define IORING_OP_TIMEOUT 11
#define IORING_OP_ACCEPT 13
#define IORING_OP_ASYNC_CANCEL 14
#define IORING_OP_LINK_TIMEOUT 15
#define IORING_OP_CONNECT 16
#define IORING_OP_OPENAT 18
#define IORING_OP_CLOSE 19
#define IORING_OP_STATX 21
#define IORING_OP_READ 22
#define IORING_OP_WRITE 23
#define IORING_OP_SEND 26
#define IORING_OP_RECV 27
#define IORING_OP_PROVIDE_BUFFERS 31
#define IORING_OP_SHUTDOWN 34
#define IORING_OP_RENAMEAT 35
#define IORING_OP_UNLINKAT 36
#define IORING_OP_MKDIRAT 37
#define IORING_OP_SOCKET 45
#define IORING_OP_SEND_ZC 47
#define IORING_OP_READ_MULTISHOT 49
#define IORING_OP_BIND 56   /* 6.11 */
#define IORING_OP_LISTEN 57 /* 6.11 */

#endif /* ZOKIO_IO_URING_ABI_H */
