/*
 * Lean single-threaded epoll Dubbo2 load generator (header grammar in dubbo.h). The closed loop, the
 * ids, the checks and the measurement are in loadgen_loop.h.
 *
 * Each call is the request the Node client dubbo2.js (2.3.9, on hessian.js) sends for
 * DemoService.sayHello(String), byte for byte (checked against its encoder):
 *
 *   header := magic, flags 0xc2 (request | two-way | Hessian2), status 0, request id, body length
 *   body   := string "2.0.2"                                  dubbo version
 *             string "org.apache.dubbo.demo.DemoService"      service path
 *             string "1.0.0"                                  service version
 *             string "sayHello"                               method
 *             string "Ljava/lang/String;"                     parameter types
 *             string PAYLOAD                                  the argument
 *             'H' (string key, value)* 'Z'                    attachments, keys sorted as hessian.js
 *                                                             writes them: application, interface,
 *                                                             path, timeout (an int), version
 *
 * Hessian2 encodings used (big-endian):
 *   string := len <= 31: u8 len, utf8 | len <= 1023: u8 (0x30 + len >> 8), u8 len, utf8
 *           | 'S' u16 len, utf8 | ('R' u16 0x8000, 32768 chars)+ then one of the above (the rest)
 *   int    := -16..47: u8 (0x90 + v) | -2048..2047: u8 (0xc8 + v >> 8), u8 v
 *           | -262144..262143: u8 (0xd4 + v >> 16), u16 v | 'I' i32 v
 *
 * A good reply is a response (not an event) with Hessian2 serialization, status 20, and a body that
 * starts with int 1 or 4 (RESPONSE_VALUE, with or without attachments); its id is the call id.
 *
 * Usage: dubbo_loadgen HOST PORT CONNS DEPTH DURATION_S WARMUP_S PAYLOAD_BYTES
 */
#include "dubbo.h"
#include "loadgen_loop.h"

#define SERVICE "org.apache.dubbo.demo.DemoService"
#define STRING_CHUNK 0x8000
#define HESSIAN_INT_RESPONSE_VALUE 0x91
#define HESSIAN_INT_RESPONSE_VALUE_WITH_ATTACHMENTS 0x94

/* A growable output buffer for the request template. */
typedef struct out {
  uint8_t *data;
  size_t len, cap;
} out;

static uint8_t *out_room(out *o, size_t n) { return grow(&o->data, &o->len, &o->cap, n); }

static void out_byte(out *o, uint8_t b) { *out_room(o, 1) = b; }

/* Writes `len` ASCII characters (one byte each, so chars and bytes agree). */
static void hessian_string(out *o, const char *s, size_t len) {
  while (len > STRING_CHUNK) {
    uint8_t *p = out_room(o, 3 + STRING_CHUNK);
    p[0] = 'R';
    p[1] = STRING_CHUNK >> 8;
    p[2] = STRING_CHUNK & 0xff;
    memcpy(p + 3, s, STRING_CHUNK);
    s += STRING_CHUNK;
    len -= STRING_CHUNK;
  }
  if (len <= 31) {
    out_byte(o, (uint8_t)len);
  } else if (len <= 1023) {
    out_byte(o, (uint8_t)(0x30 + (len >> 8)));
    out_byte(o, (uint8_t)len);
  } else {
    out_byte(o, 'S');
    out_byte(o, (uint8_t)(len >> 8));
    out_byte(o, (uint8_t)len);
  }
  memcpy(out_room(o, len), s, len);
}

static void hessian_cstring(out *o, const char *s) { hessian_string(o, s, strlen(s)); }

static void hessian_int(out *o, int32_t v) {
  if (v >= -16 && v <= 47) {
    out_byte(o, (uint8_t)(0x90 + v));
  } else if (v >= -2048 && v <= 2047) {
    out_byte(o, (uint8_t)(0xc8 + (v >> 8)));
    out_byte(o, (uint8_t)v);
  } else if (v >= -262144 && v <= 262143) {
    out_byte(o, (uint8_t)(0xd4 + (v >> 16)));
    out_byte(o, (uint8_t)(v >> 8));
    out_byte(o, (uint8_t)v);
  } else {
    out_byte(o, 'I');
    wr32(out_room(o, 4), (uint32_t)v);
  }
}

static uint8_t *build_request(int payload, size_t *len) {
  out o = {0};
  out_room(&o, DUBBO_HEADER);
  hessian_cstring(&o, "2.0.2");
  hessian_cstring(&o, SERVICE);
  hessian_cstring(&o, "1.0.0");
  hessian_cstring(&o, "sayHello");
  hessian_cstring(&o, "Ljava/lang/String;");
  char *arg = malloc((size_t)payload + 1);
  if (arg == NULL) die("malloc");
  for (int i = 0; i < payload; i++) arg[i] = (char)('a' + i % 26);
  hessian_string(&o, arg, (size_t)payload);
  free(arg);
  out_byte(&o, 'H');
  hessian_cstring(&o, "application");
  hessian_cstring(&o, "bench-client");
  hessian_cstring(&o, "interface");
  hessian_cstring(&o, SERVICE);
  hessian_cstring(&o, "path");
  hessian_cstring(&o, SERVICE);
  hessian_cstring(&o, "timeout");
  hessian_int(&o, 3000);
  hessian_cstring(&o, "version");
  hessian_cstring(&o, "1.0.0");
  out_byte(&o, 'Z');
  size_t body = o.len - DUBBO_HEADER;
  if (body > DUBBO_MAX_BODY) {
    fprintf(stderr, "payload too large for one Dubbo frame\n");
    exit(2);
  }
  dubbo_write_header(o.data, DUBBO_FLAG_REQUEST | DUBBO_FLAG_TWO_WAY | DUBBO_HESSIAN2, 0, 0, (uint32_t)body);
  *len = o.len;
  return o.data;
}

static void set_request_id(uint8_t *request, uint64_t id) { wr64(request + 4, id); }

static long parse_reply(const uint8_t *in, size_t len, uint64_t *id, int *ok) {
  long flen = dubbo_frame_length(in, len);
  if (flen <= 0) return flen;
  uint8_t flags = in[2];
  uint8_t value = flen > DUBBO_HEADER ? in[DUBBO_HEADER] : 0;
  *id = rd64(in + 4);
  *ok = (flags & (DUBBO_FLAG_REQUEST | DUBBO_FLAG_EVENT)) == 0 &&
        (flags & DUBBO_SERIALIZATION_MASK) == DUBBO_HESSIAN2 && in[3] == DUBBO_STATUS_OK &&
        (value == HESSIAN_INT_RESPONSE_VALUE || value == HESSIAN_INT_RESPONSE_VALUE_WITH_ATTACHMENTS);
  return flen;
}

int main(int argc, char **argv) {
  /* `--dump-request PAYLOAD_BYTES`: print the call (id 1) in hex, to compare it with other encoders. */
  if (argc == 3 && strcmp(argv[1], "--dump-request") == 0) {
    size_t len;
    uint8_t *request = build_request(atoi(argv[2]), &len);
    set_request_id(request, 1);
    for (size_t i = 0; i < len; i++) printf("%02x", request[i]);
    printf("\n");
    return 0;
  }
  return loadgen_main(argc, argv);
}
