/*
 * contract.h: src/contract.ts in C. The byte layout of op records (64 bytes, written by the driver into the
 * staging ArrayBuffer) and completion records (16 bytes, written by a backend into the completion ArrayBuffer).
 * contract.ts is the source of truth; this header mirrors it and the asserts keep the mirror honest.
 * All fields are little-endian; records are read and written with memcpy (no alignment assumptions).
 */
#ifndef ZOKIO_CONTRACT_H
#define ZOKIO_CONTRACT_H

#include <stddef.h>
#include <stdint.h>

#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "zokio's op records are little-endian and read in place; a big-endian port must byte-swap them"
#endif

#define ZK_OP_RECORD_BYTES 64
#define ZK_COMPLETION_RECORD_BYTES 16
#define ZK_COMPLETION_MORE 1U
#define ZK_COMPLETION_BUFFER 2U /* aux names the provided buffer the completion consumed */
#define ZK_MODE_BUFFER_SELECT (1U << 16) /* mode: receive into a buffer of group (mode & 0xffff) */
#define ZK_MODE_MULTISHOT (1U << 17)     /* mode: complete many times */
#define ZK_GROUP_MASK 0xffffU
#define ZK_IOV_MAX 1024U
#define ZK_IOVEC_ENTRY_BYTES 16U
#define ZK_MAX_GROUP_BUFFERS 32768U
#define ZK_AT_FDCWD (-100)

/* Op record (OpField in contract.ts). */
struct zk_op_record {
  uint8_t opcode;       /*  0: ZK_OP_* */
  uint8_t reserved0;    /*  1 */
  uint16_t reserved1;   /*  2 */
  uint32_t token;       /*  4: the op's identity, echoed by its completions */
  int32_t fd;           /*  8: fd, or dirfd for *at ops */
  uint32_t arg;         /* 12: open flags, statx mask, fsync flags, cancel target, timeout ms, *at flags */
  double offset;        /* 16: file position; -1 = current position */
  uint32_t buf_arena;   /* 24 */
  uint32_t buf_offset;  /* 28 */
  uint32_t buf_length;  /* 32 */
  uint32_t mode;        /* 36: openat/mkdirat mode; statx AT_* flags */
  uint32_t path_arena;  /* 40: NUL-terminated path */
  uint32_t path_offset; /* 44 */
  uint32_t path2_arena; /* 48: renameat's new path */
  uint32_t path2_offset;/* 52 */
  int32_t fd2;          /* 56: renameat's new dirfd */
  uint32_t reserved2;   /* 60 */
};
_Static_assert(sizeof(struct zk_op_record) == ZK_OP_RECORD_BYTES, "op record size");
_Static_assert(offsetof(struct zk_op_record, opcode) == 0, "OpField.opcode");
_Static_assert(offsetof(struct zk_op_record, token) == 4, "OpField.token");
_Static_assert(offsetof(struct zk_op_record, fd) == 8, "OpField.fd");
_Static_assert(offsetof(struct zk_op_record, arg) == 12, "OpField.arg");
_Static_assert(offsetof(struct zk_op_record, offset) == 16, "OpField.offset");
_Static_assert(offsetof(struct zk_op_record, buf_arena) == 24, "OpField.bufArena");
_Static_assert(offsetof(struct zk_op_record, buf_offset) == 28, "OpField.bufOffset");
_Static_assert(offsetof(struct zk_op_record, buf_length) == 32, "OpField.bufLength");
_Static_assert(offsetof(struct zk_op_record, mode) == 36, "OpField.mode");
_Static_assert(offsetof(struct zk_op_record, path_arena) == 40, "OpField.pathArena");
_Static_assert(offsetof(struct zk_op_record, path_offset) == 44, "OpField.pathOffset");
_Static_assert(offsetof(struct zk_op_record, path2_arena) == 48, "OpField.path2Arena");
_Static_assert(offsetof(struct zk_op_record, path2_offset) == 52, "OpField.path2Offset");
_Static_assert(offsetof(struct zk_op_record, fd2) == 56, "OpField.fd2");
_Static_assert(sizeof(double) == 8, "f64 offset");

/* Completion record (CompletionField in contract.ts). */
struct zk_completion_record {
  uint32_t token; /*  0 */
  int32_t res;    /*  4: >= 0 result, < 0 negated errno */
  uint32_t flags; /*  8: ZK_COMPLETION_MORE when not final */
  uint32_t aux;   /* 12: provided-buffer id (multishot receives) */
};
_Static_assert(sizeof(struct zk_completion_record) == ZK_COMPLETION_RECORD_BYTES, "completion record size");
_Static_assert(offsetof(struct zk_completion_record, res) == 4, "CompletionField.res");
_Static_assert(offsetof(struct zk_completion_record, flags) == 8, "CompletionField.flags");
_Static_assert(offsetof(struct zk_completion_record, aux) == 12, "CompletionField.aux");

/* Opcodes (Op in contract.ts): the contract's own numbers, mapped to io_uring's in ops.c. */
enum zk_op {
  ZK_OP_NOP = 0,
  ZK_OP_READ = 1,
  ZK_OP_WRITE = 2,
  ZK_OP_OPENAT = 3,
  ZK_OP_CLOSE = 4,
  ZK_OP_FSYNC = 5,
  ZK_OP_STATX = 6,
  ZK_OP_UNLINKAT = 7,
  ZK_OP_RENAMEAT = 8,
  ZK_OP_MKDIRAT = 9,
  ZK_OP_TIMEOUT = 10,
  ZK_OP_CANCEL = 11,
  ZK_OP_READV = 12,
  ZK_OP_WRITEV = 13,
  ZK_OP_SOCKET = 14,
  ZK_OP_BIND = 15,
  ZK_OP_LISTEN = 16,
  ZK_OP_ACCEPT = 17,
  ZK_OP_CONNECT = 18,
  ZK_OP_RECV = 19,
  ZK_OP_SEND = 20,
  ZK_OP_RECVMSG = 21,
  ZK_OP_SENDMSG = 22,
  ZK_OP_SHUTDOWN = 23,
  ZK_OP_POLL_ADD = 24,
  ZK_OP_COUNT = 25
};

/*
 * Socket ops name their struct sockaddr with the path fields: addr arena = path_arena, addr offset = path_offset,
 * addr length (or capacity) = path2_arena. 0 length: no address.
 */
#define zk_addr_arena(rec) ((rec)->path_arena)
#define zk_addr_offset(rec) ((rec)->path_offset)
#define zk_addr_length(rec) ((rec)->path2_arena)

/* One entry of a READV/WRITEV iovec table, as JS writes it; the backend may rewrite it in place as a struct iovec. */
struct zk_iovec_entry {
  uint32_t arena;
  uint32_t offset;
  uint32_t length;
  uint32_t reserved;
};
_Static_assert(sizeof(struct zk_iovec_entry) == ZK_IOVEC_ENTRY_BYTES, "iovec entry size");

/* SocketOption in contract.ts. */
enum zk_sockopt {
  ZK_SO_NODELAY = 1,
  ZK_SO_KEEPALIVE = 2,
  ZK_SO_REUSEADDR = 3,
  ZK_SO_REUSEPORT = 4,
  ZK_SO_BROADCAST = 5,
  ZK_SO_V6ONLY = 6,
  ZK_SO_RCVBUF = 7,
  ZK_SO_SNDBUF = 8,
  ZK_SO_TTL = 9,
  ZK_SO_MULTICAST_LOOP = 10,
  ZK_SO_MULTICAST_TTL = 11,
  /* IPv4: the interface (its address, a.b.c.d as (a << 24 | b << 16 | c << 8 | d)) multicast leaves by. */
  ZK_SO_MULTICAST_IF = 12
};

/* Bytes of the statx result (struct statx) that STATX's buffer must hold. */
#define ZK_STATX_BYTES 256

#endif /* ZOKIO_CONTRACT_H */
