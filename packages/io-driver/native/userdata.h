/*
 * userdata.h: what zokio puts in an SQE's 64-bit user_data, and so finds again in its CQE(s).
 *
 *    63                  40 39    36 35  32 31                                0
 *   +----------------------+--------+------+-----------------------------------+
 *   |       payload        |   0    | tag  |              token                |
 *   +----------------------+--------+------+-----------------------------------+
 *
 * tag PLAIN    : an ordinary op; user_data == token, so CANCEL can name it by token alone.
 * tag SLOT     : an op with native per-op storage (op_slots.h: TIMEOUT's timespec, ACCEPT's socklen_t, the msghdr
 *                of RECVMSG/SENDMSG, a buffer-select RECV's group); payload = its slot, released at the final CQE.
 *                CANCEL finds the slot by token to rebuild the exact user_data.
 * tag RESULT   : a record completed at prep, submitted as a NOP so that its result reaches JS through the ring like
 *                any other (from the loop, never re-entrantly inside flush): a record that failed validation, or a
 *                synchronous fallback (BIND/LISTEN on kernels without them). payload = -res, for res in
 *                [-0xffffff, 0] (every errno, and 0).
 * tag INTERNAL : the backend's own op (the cancel-all at teardown); never reported to JS.
 */
#ifndef ZOKIO_USERDATA_H
#define ZOKIO_USERDATA_H

#include <stdint.h>

enum zk_tag { ZK_TAG_PLAIN = 0, ZK_TAG_SLOT = 1, ZK_TAG_RESULT = 2, ZK_TAG_INTERNAL = 3 };

static inline uint64_t zk_ud(uint32_t token, enum zk_tag tag, uint32_t payload) {
  return (uint64_t)token | ((uint64_t)tag << 32) | ((uint64_t)(payload & 0xffffffU) << 40);
}
static inline uint32_t zk_ud_token(uint64_t ud) { return (uint32_t)ud; }
static inline enum zk_tag zk_ud_tag(uint64_t ud) { return (enum zk_tag)((ud >> 32) & 0xf); }
static inline uint32_t zk_ud_payload(uint64_t ud) { return (uint32_t)(ud >> 40); }

#endif /* ZOKIO_USERDATA_H */
