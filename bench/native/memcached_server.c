/*
 * Lean single-threaded epoll memcached server for benchmarks: the binary protocol, and only as much of
 * it as the bench needs. It stores nothing: every request is answered at once with a status-0
 * response of the same opcode and opaque (a SET as stored, a GET as a hit of a short value).
 *
 * Wire grammar (memcached binary protocol, big-endian):
 *   packet  := header extras key value
 *   header  := u8 magic (0x80 request, 0x81 response), u8 opcode, u16 key length, u8 extras length,
 *              u8 data type, u16 vbucket (request) / status (response), u32 total body length
 *              (extras + key + value), u32 opaque, u64 CAS
 *   reply   := a response: the request's opcode and opaque, status 0; a GET (0x00) also gets 4 bytes
 *              of flags and the value "hit"
 *
 * Usage: memcached_server HOST PORT   (PORT 0 picks a free port; prints "listening PORT" once bound)
 */
#include "server_loop.h"

#define HEADER 24
#define MAX_PACKET (16 * 1024 * 1024)
#define VALUE "hit"

static void append_reply(bench_io *io, uint8_t opcode, const uint8_t *opaque) {
  int get = opcode == 0x00;
  size_t body = get ? 4 + sizeof(VALUE) - 1 : 0;
  uint8_t *p = io_append(io, HEADER + body);
  memset(p, 0, HEADER + body);
  p[0] = 0x81;
  p[1] = opcode;
  if (get) p[4] = 4; /* extras: flags */
  wr32(p + 8, (uint32_t)body);
  memcpy(p + 12, opaque, 4);
  if (get) memcpy(p + HEADER + 4, VALUE, sizeof(VALUE) - 1);
}

static long serve_frames(bench_io *io, const uint8_t *in, size_t len) {
  size_t off = 0;
  while (len - off >= HEADER) {
    const uint8_t *h = in + off;
    uint32_t body = rd32(h + 8);
    if (h[0] != 0x80 || body > MAX_PACKET) return -1;
    if (len - off - HEADER < body) break;
    append_reply(io, h[1], h + 12);
    off += HEADER + body;
  }
  return (long)off;
}

int main(int argc, char **argv) { return server_main(argc, argv); }
