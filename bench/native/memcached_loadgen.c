/*
 * Lean single-threaded epoll memcached load generator: the binary protocol. The closed loop, the ids,
 * the checks and the measurement are in loadgen_loop.h.
 *
 * Wire grammar (memcached binary protocol, big-endian):
 *   packet  := header extras key value
 *   header  := u8 magic (0x80 request, 0x81 response), u8 opcode, u16 key length, u8 extras length,
 *              u8 data type, u16 vbucket (request) / status (response), u32 total body length
 *              (extras + key + value), u32 opaque, u64 CAS
 *   call    := SET (0x01) of the key "bench:key" with 8 bytes of extras (flags, expiry) and a value of
 *              PAYLOAD bytes; its opaque is the call id (the low 32 bits)
 *
 * A good reply is a response to a SET with status 0.
 *
 * Usage: memcached_loadgen HOST PORT CONNS DEPTH DURATION_S WARMUP_S PAYLOAD_BYTES
 */
#include "loadgen_loop.h"

#define HEADER 24
#define KEY "bench:key"
#define KEY_LEN 9
#define EXTRAS 8
#define MAX_PACKET (16 * 1024 * 1024)

static uint8_t *build_request(int payload, size_t *len) {
  size_t body = EXTRAS + KEY_LEN + (size_t)payload;
  *len = HEADER + body;
  uint8_t *p = calloc(1, *len);
  if (p == NULL) die("calloc");
  p[0] = 0x80;
  p[1] = 0x01; /* SET */
  p[2] = 0;
  p[3] = KEY_LEN;
  p[4] = EXTRAS;
  wr32(p + 8, (uint32_t)body);
  memcpy(p + HEADER + EXTRAS, KEY, KEY_LEN);
  for (int i = 0; i < payload; i++) p[HEADER + EXTRAS + KEY_LEN + i] = (uint8_t)('a' + i % 26);
  return p;
}

static void set_request_id(uint8_t *request, uint64_t id) { wr32(request + 12, (uint32_t)id); }

static long parse_reply(const uint8_t *in, size_t len, uint64_t *id, int *ok) {
  if (len < HEADER) return 0;
  uint32_t body = rd32(in + 8);
  if (body > MAX_PACKET) return -1;
  if (len - HEADER < body) return 0;
  *id = rd32(in + 12);
  *ok = in[0] == 0x81 && in[1] == 0x01 && in[6] == 0 && in[7] == 0;
  return HEADER + (long)body;
}

int main(int argc, char **argv) { return loadgen_main(argc, argv); }
