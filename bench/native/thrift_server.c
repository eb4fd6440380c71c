/*
 * Lean single-threaded epoll Thrift server for benchmarks: framed transport, strict binary protocol.
 *
 * Wire grammar (Apache Thrift, framed + strict binary, big-endian):
 *   frame   := i32 length, message (length bytes)
 *   message := i32 (0x8001 << 16 | type), i32 name_len, name, i32 seqid, struct
 *   type    := 1 CALL | 2 REPLY | 3 EXCEPTION | 4 ONEWAY
 *   struct  := { i8 field_type, i16 field_id, value } i8 0 (STOP)
 *   reply   := REPLY with the call's name and seqid; struct { field 0: string (11) RESULT } STOP
 *
 * The server never parses the call's arguments: it answers every CALL with a small result and drops
 * ONEWAY messages. The event loop and the write batching are in server_loop.h.
 *
 * Usage: thrift_server HOST PORT   (PORT 0 picks a free port; prints "listening PORT" once bound)
 */
#include "server_loop.h"

#define MAX_FRAME (16 * 1024 * 1024)
#define RESULT "Hello from the bench!" /* 21 bytes */

static void append_reply(bench_io *io, const uint8_t *name, uint32_t name_len, uint32_t seqid) {
  size_t rlen = sizeof(RESULT) - 1;
  /* version, name_len, name, seqid, field header (3), string len, string, STOP */
  size_t msg = 4 + 4 + name_len + 4 + 3 + 4 + rlen + 1;
  uint8_t *p = io_append(io, 4 + msg);
  wr32(p, (uint32_t)msg);
  wr32(p + 4, 0x80010002u);
  wr32(p + 8, name_len);
  memcpy(p + 12, name, name_len);
  p += 12 + name_len;
  wr32(p, seqid);
  p[4] = 11; /* T_STRING */
  p[5] = 0;
  p[6] = 0; /* field id 0: the result */
  wr32(p + 7, (uint32_t)rlen);
  memcpy(p + 11, RESULT, rlen);
  p[11 + rlen] = 0; /* STOP */
}

static long serve_frames(bench_io *io, const uint8_t *in, size_t len) {
  size_t off = 0;
  while (len - off >= 4) {
    uint32_t flen = rd32(in + off);
    if (flen > MAX_FRAME || flen < 12) return -1;
    if (len - off - 4 < flen) break;
    const uint8_t *m = in + off + 4;
    uint32_t ver = rd32(m);
    if ((ver & 0xffff0000u) != 0x80010000u) return -1;
    uint32_t name_len = rd32(m + 4);
    if (name_len > flen - 12) return -1;
    if ((ver & 0xff) == 1) append_reply(io, m + 8, name_len, rd32(m + 8 + name_len));
    off += 4 + flen;
  }
  return (long)off;
}

int main(int argc, char **argv) { return server_main(argc, argv); }
