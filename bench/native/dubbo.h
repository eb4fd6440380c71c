/*
 * The Dubbo2 frame header, shared by the benchmark's Dubbo server and load generator:
 *
 *   frame  := header (16 bytes) body
 *   header := u16 magic 0xdabb, u8 flags, u8 status, i64 request id, i32 body length (big-endian)
 *   flags  := 0x80 request | 0x40 two-way | 0x20 event (heartbeat) | low 5 bits serialization id
 *             (2 = Hessian2)
 *   status := 20 OK (responses only)
 */
#ifndef BENCH_DUBBO_H
#define BENCH_DUBBO_H

#include "common.h"

#define DUBBO_HEADER 16
#define DUBBO_MAGIC 0xdabb
#define DUBBO_FLAG_REQUEST 0x80
#define DUBBO_FLAG_TWO_WAY 0x40
#define DUBBO_FLAG_EVENT 0x20
#define DUBBO_SERIALIZATION_MASK 0x1f
#define DUBBO_HESSIAN2 2
#define DUBBO_STATUS_OK 20
/* Dubbo's default payload limit, which aeraki's codec applies too. */
#define DUBBO_MAX_BODY (8 * 1024 * 1024)

/*
 * The frame at the start of `in`: 0 while its bytes have not all arrived, -1 when it is not a Dubbo
 * frame or too large, else its length (header and body).
 */
static inline long dubbo_frame_length(const uint8_t *in, size_t len) {
  if (len < DUBBO_HEADER) return 0;
  if (((uint32_t)in[0] << 8 | in[1]) != DUBBO_MAGIC) return -1;
  uint32_t body = rd32(in + 12);
  if (body > DUBBO_MAX_BODY) return -1;
  if (len - DUBBO_HEADER < body) return 0;
  return DUBBO_HEADER + (long)body;
}

static inline void dubbo_write_header(uint8_t *p, uint8_t flags, uint8_t status, uint64_t id, uint32_t body) {
  p[0] = DUBBO_MAGIC >> 8;
  p[1] = DUBBO_MAGIC & 0xff;
  p[2] = flags;
  p[3] = status;
  wr64(p + 4, id);
  wr32(p + 12, body);
}

#endif
