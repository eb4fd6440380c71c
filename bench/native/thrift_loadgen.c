/*
 * Lean single-threaded epoll Thrift load generator: framed transport, strict binary protocol. The
 * closed loop, the ids, the checks and the measurement are in loadgen_loop.h.
 *
 * Wire grammar (Apache Thrift, framed + strict binary, big-endian):
 *   frame   := i32 length, message (length bytes)
 *   message := i32 (0x8001 << 16 | type), i32 name_len, name, i32 seqid, struct
 *   type    := 1 CALL | 2 REPLY | 3 EXCEPTION | 4 ONEWAY
 *   call    := CALL "sayHello" seqid { field 1: string (11) PAYLOAD } STOP
 *   struct  := { i8 field_type, i16 field_id, value } i8 0 (STOP)
 *
 * A good reply is a REPLY named "sayHello"; its seqid is the call id (the low 32 bits).
 *
 * Usage: thrift_loadgen HOST PORT CONNS DEPTH DURATION_S WARMUP_S PAYLOAD_BYTES
 */
#include "loadgen_loop.h"

#define METHOD "sayHello"
#define METHOD_LEN 8
#define MAX_FRAME (16 * 1024 * 1024)
#define SEQID_OFFSET (12 + METHOD_LEN)

static uint8_t *build_request(int payload, size_t *len) {
  /* frame len, version, name len, name, seqid, field header, string len, payload, STOP */
  size_t msg = 4 + 4 + METHOD_LEN + 4 + 3 + 4 + (size_t)payload + 1;
  *len = 4 + msg;
  uint8_t *p = calloc(1, *len);
  if (p == NULL) die("calloc");
  wr32(p, (uint32_t)msg);
  wr32(p + 4, 0x80010001u);
  wr32(p + 8, METHOD_LEN);
  memcpy(p + 12, METHOD, METHOD_LEN);
  uint8_t *f = p + SEQID_OFFSET + 4;
  f[0] = 11; /* T_STRING */
  f[1] = 0;
  f[2] = 1; /* field id 1: the argument */
  wr32(f + 3, (uint32_t)payload);
  for (int i = 0; i < payload; i++) f[7 + i] = (uint8_t)('a' + i % 26);
  f[7 + payload] = 0; /* STOP */
  return p;
}

static void set_request_id(uint8_t *request, uint64_t id) { wr32(request + SEQID_OFFSET, (uint32_t)id); }

static long parse_reply(const uint8_t *in, size_t len, uint64_t *id, int *ok) {
  if (len < 4) return 0;
  uint32_t flen = rd32(in);
  if (flen > MAX_FRAME || flen < 12) return -1;
  if (len - 4 < flen) return 0;
  const uint8_t *m = in + 4;
  uint32_t name_len = rd32(m + 4);
  if (name_len > flen - 12) return -1;
  *id = rd32(m + 8 + name_len);
  *ok = rd32(m) == 0x80010002u && name_len == METHOD_LEN && memcmp(m + 8, METHOD, METHOD_LEN) == 0;
  return 4 + (long)flen;
}

int main(int argc, char **argv) { return loadgen_main(argc, argv); }
