/*
 * Lean single-threaded epoll Dubbo2 provider for benchmarks (header grammar in dubbo.h):
 *
 *   two-way request  -> response: flags Hessian2, status 20, the request's id,
 *                       body := int 1 (RESPONSE_VALUE, 0x91) string RESULT
 *   two-way event    -> heartbeat reply: flags event | Hessian2, status 20, the request's id, body 'N'
 *   one-way request or event -> nothing
 *
 * The server never parses a request body (it answers sayHello whatever the call); anything but a
 * Hessian2 Dubbo frame closes the connection. The event loop and the write batching are in
 * server_loop.h.
 *
 * Usage: dubbo_server HOST PORT   (PORT 0 picks a free port; prints "listening PORT" once bound)
 */
#include "dubbo.h"
#include "server_loop.h"

#define RESULT "Hello from the bench!" /* 21 bytes: a Hessian2 short string */
#define RESULT_LEN (sizeof(RESULT) - 1)
#define HESSIAN_INT_1 0x91
#define HESSIAN_NULL 'N'

static void append_response(bench_io *io, uint64_t id) {
  uint32_t body = 1 + 1 + RESULT_LEN;
  uint8_t *p = io_append(io, DUBBO_HEADER + body);
  dubbo_write_header(p, DUBBO_HESSIAN2, DUBBO_STATUS_OK, id, body);
  p[DUBBO_HEADER] = HESSIAN_INT_1;
  p[DUBBO_HEADER + 1] = (uint8_t)RESULT_LEN;
  memcpy(p + DUBBO_HEADER + 2, RESULT, RESULT_LEN);
}

static void append_heartbeat_reply(bench_io *io, uint64_t id) {
  uint8_t *p = io_append(io, DUBBO_HEADER + 1);
  dubbo_write_header(p, DUBBO_FLAG_EVENT | DUBBO_HESSIAN2, DUBBO_STATUS_OK, id, 1);
  p[DUBBO_HEADER] = HESSIAN_NULL;
}

static long serve_frames(bench_io *io, const uint8_t *in, size_t len) {
  size_t off = 0;
  for (;;) {
    long flen = dubbo_frame_length(in + off, len - off);
    if (flen < 0) return -1;
    if (flen == 0) break;
    const uint8_t *p = in + off;
    uint8_t flags = p[2];
    if ((flags & DUBBO_SERIALIZATION_MASK) != DUBBO_HESSIAN2) return -1;
    if ((flags & DUBBO_FLAG_REQUEST) && (flags & DUBBO_FLAG_TWO_WAY)) {
      if (flags & DUBBO_FLAG_EVENT) append_heartbeat_reply(io, rd64(p + 4));
      else append_response(io, rd64(p + 4));
    }
    off += (size_t)flen;
  }
  return (long)off;
}

int main(int argc, char **argv) { return server_main(argc, argv); }
