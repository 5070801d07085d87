/*
 * userdata.h: what zokio puts in an SQE's 64-bit user_data, and so finds again in its CQE.
 *
 *    63                  40 39    36 35  32 31                                0
 *   +----------------------+--------+------+-----------------------------------+
 *   |       payload        |   0    | tag  |              token                |
 *   +----------------------+--------+------+-----------------------------------+
 *
 * tag PLAIN    : an ordinary op; user_data == token, so CANCEL can name it by token alone.
 * tag TIMEOUT  : a TIMEOUT op; payload = its timespec slot (timeouts.h), released at completion.
 * tag FAILED   : a record that failed validation, submitted as a NOP so that its error completes through the
 *                ring like any result (in order, from the loop, never re-entrantly inside flush); payload = errno.
 * tag INTERNAL : the backend's own op (the cancel-all at teardown); never reported to JS.
 */
#ifndef ZOKIO_USERDATA_H
#define ZOKIO_USERDATA_H

#include <stdint.h>

enum zk_tag { ZK_TAG_PLAIN = 0, ZK_TAG_TIMEOUT = 1, ZK_TAG_FAILED = 2, ZK_TAG_INTERNAL = 3 };

static inline uint64_t zk_ud(uint32_t token, enum zk_tag tag, uint32_t payload) {
  return (uint64_t)token | ((uint64_t)tag << 32) | ((uint64_t)(payload & 0xffffffU) << 40);
}
static inline uint32_t zk_ud_token(uint64_t ud) { return (uint32_t)ud; }
static inline enum zk_tag zk_ud_tag(uint64_t ud) { return (enum zk_tag)((ud >> 32) & 0xf); }
static inline uint32_t zk_ud_payload(uint64_t ud) { return (uint32_t)(ud >> 40); }

#endif /* ZOKIO_USERDATA_H */
