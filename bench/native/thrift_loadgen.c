/*
 * Lean single-threaded epoll Thrift load generator: closed loop, CONNS connections x DEPTH calls in
 * flight per connection, framed transport, strict binary protocol.
 *
 * Wire grammar (Apache Thrift, framed + strict binary, big-endian):
 *   frame   := i32 length, message (length bytes)
 *   message := i32 (0x8001 << 16 | type), i32 name_len, name, i32 seqid, struct
 *   type    := 1 CALL | 2 REPLY | 3 EXCEPTION | 4 ONEWAY
 *   call    := CALL "sayHello" seqid { field 1: string (11) PAYLOAD } STOP
 *   struct  := { i8 field_type, i16 field_id, value } i8 0 (STOP)
 *
 * Each connection owns DEPTH slots; slot s sends seqids s, s+DEPTH, s+2*DEPTH, ..., so seqids are
 * unique per connection and a reply finds its slot even if replies come back out of order. A reply
 * that is not a REPLY named "sayHello" for an outstanding seqid counts as an error. Calls that a read
 * completes are re-sent together in one write. Latency is the time from the write that carried a call
 * to the read that carried its reply, recorded in a log-linear histogram (64 sub-buckets per power of
 * two, < 1.6% error).
 *
 * Usage: thrift_loadgen HOST PORT CONNS DEPTH DURATION_S WARMUP_S PAYLOAD_BYTES
 * Prints "measure-start" and "measure-end" lines on stderr around the measured phase (so a driver can
 * sample other processes' CPU), then one JSON object on stdout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define METHOD "sayHello"
#define METHOD_LEN 8
#define READ_CHUNK (64 * 1024)
#define MAX_FRAME (16 * 1024 * 1024)
#define SUB_BITS 6
#define SUB (1 << SUB_BITS)
#define HIST_BUCKETS (SUB * 40)
#define STALL_NS 2000000000LL

typedef struct conn {
  int fd;
  int connected;
  int dead;
  uint32_t *slot_seqid;
  int64_t *slot_sent_ns; /* < 0: slot idle */
  uint8_t *rbuf;
  size_t rlen, rcap;
  uint8_t *wbuf; /* pending output */
  size_t wlen, woff, wcap;
  int want_out;
} conn;

static int epfd;
static int depth;
static uint8_t *req_template;
static size_t req_len;
static size_t seqid_off;
static int measuring;
static uint64_t hist[HIST_BUCKETS];
static uint64_t requests, errors, conn_failures;
static int64_t last_progress_ns;
static uint64_t stalls;

static int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static uint32_t rd32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static void die(const char *what) {
  perror(what);
  exit(1);
}

static void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (q == NULL) die("realloc");
  return q;
}

static int hist_index(uint64_t v) {
  if (v < SUB) return (int)v;
  int e = 63 - __builtin_clzll(v);
  int idx = (e - SUB_BITS + 1) * SUB + (int)((v >> (e - SUB_BITS)) - SUB);
  return idx < HIST_BUCKETS ? idx : HIST_BUCKETS - 1;
}

/* The midpoint of a bucket's range, in ns. */
static double hist_value(int idx) {
  if (idx < SUB) return idx;
  int e = idx / SUB - 1 + SUB_BITS;
  uint64_t sub = (uint64_t)(idx % SUB) + SUB;
  double width = (double)(1ULL << (e - SUB_BITS));
  return (double)sub * width + width / 2;
}

static double hist_percentile(double q) {
  uint64_t total = 0;
  for (int i = 0; i < HIST_BUCKETS; i++) total += hist[i];
  if (total == 0) return 0;
  uint64_t rank = (uint64_t)(q * (double)total);
  if (rank >= total) rank = total - 1;
  uint64_t seen = 0;
  for (int i = 0; i < HIST_BUCKETS; i++) {
    seen += hist[i];
    if (seen > rank) return hist_value(i);
  }
  return 0;
}

static void set_out_interest(conn *c, int on) {
  if (c->want_out == on) return;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = on;
}

static void conn_fail(conn *c) {
  if (c->dead) return;
  c->dead = 1;
  conn_failures++;
  for (int s = 0; s < depth; s++) {
    if (c->slot_sent_ns[s] >= 0 && measuring) errors++;
    c->slot_sent_ns[s] = -1;
  }
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
}

static int conn_flush(conn *c) {
  while (c->woff < c->wlen) {
    ssize_t n = write(c->fd, c->wbuf + c->woff, c->wlen - c->woff);
    if (n > 0) {
      c->woff += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      set_out_interest(c, 1);
      return 0;
    } else {
      return -1;
    }
  }
  c->wlen = c->woff = 0;
  set_out_interest(c, 0);
  return 0;
}

static void queue_call(conn *c, int slot, int64_t t) {
  if (c->wlen + req_len > c->wcap) {
    c->wcap = (c->wlen + req_len) * 2;
    c->wbuf = xrealloc(c->wbuf, c->wcap);
  }
  uint8_t *p = c->wbuf + c->wlen;
  memcpy(p, req_template, req_len);
  wr32(p + seqid_off, c->slot_seqid[slot]);
  c->wlen += req_len;
  c->slot_sent_ns[slot] = t;
}

/* Handles every complete reply in the buffer, queueing the next call on each freed slot. */
static int conn_process(conn *c, int64_t t) {
  size_t off = 0;
  while (c->rlen - off >= 4) {
    uint32_t flen = rd32(c->rbuf + off);
    if (flen > MAX_FRAME || flen < 12) return -1;
    if (c->rlen - off - 4 < flen) break;
    const uint8_t *m = c->rbuf + off + 4;
    off += 4 + flen;
    uint32_t ver = rd32(m);
    uint32_t name_len = rd32(m + 4);
    if (name_len > flen - 12) return -1;
    uint32_t seqid = rd32(m + 8 + name_len);
    int slot = (int)(seqid % (uint32_t)depth);
    int ok = ver == 0x80010002u && name_len == METHOD_LEN && memcmp(m + 8, METHOD, METHOD_LEN) == 0 &&
             c->slot_sent_ns[slot] >= 0 && c->slot_seqid[slot] == seqid;
    if (!ok) {
      if (measuring) errors++;
      /* An exception for an outstanding call still ends that call: resend so the loop keeps going. */
      if (c->slot_sent_ns[slot] < 0 || c->slot_seqid[slot] != seqid) continue;
    } else if (measuring) {
      requests++;
      hist[hist_index((uint64_t)(t - c->slot_sent_ns[slot]))]++;
    }
    c->slot_seqid[slot] += (uint32_t)depth;
    queue_call(c, slot, t);
  }
  if (off > 0) {
    memmove(c->rbuf, c->rbuf + off, c->rlen - off);
    c->rlen -= off;
  }
  return 0;
}

static void on_readable(conn *c) {
  if (c->rcap - c->rlen < READ_CHUNK) {
    c->rcap = c->rlen + READ_CHUNK * 2;
    c->rbuf = xrealloc(c->rbuf, c->rcap);
  }
  ssize_t n = read(c->fd, c->rbuf + c->rlen, c->rcap - c->rlen);
  if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
    conn_fail(c);
    return;
  }
  if (n < 0) return;
  int64_t t = now_ns();
  last_progress_ns = t;
  c->rlen += (size_t)n;
  if (conn_process(c, t) < 0 || conn_flush(c) < 0) conn_fail(c);
}

static void on_connected(conn *c) {
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    errno = err;
    perror("connect");
    conn_fail(c);
    return;
  }
  c->connected = 1;
  int64_t t = now_ns();
  for (int s = 0; s < depth; s++) queue_call(c, s, t);
  if (conn_flush(c) < 0) conn_fail(c);
}

static void build_template(int payload) {
  /* frame len, version, name len, name, seqid, field header, string len, payload, STOP */
  size_t msg = 4 + 4 + METHOD_LEN + 4 + 3 + 4 + (size_t)payload + 1;
  req_len = 4 + msg;
  req_template = calloc(1, req_len);
  if (req_template == NULL) die("calloc");
  uint8_t *p = req_template;
  wr32(p, (uint32_t)msg);
  wr32(p + 4, 0x80010001u);
  wr32(p + 8, METHOD_LEN);
  memcpy(p + 12, METHOD, METHOD_LEN);
  seqid_off = 12 + METHOD_LEN;
  p += seqid_off + 4;
  p[0] = 11; /* T_STRING */
  p[1] = 0;
  p[2] = 1; /* field id 1: the argument */
  wr32(p + 3, (uint32_t)payload);
  for (int i = 0; i < payload; i++) p[7 + i] = (uint8_t)('a' + i % 26);
  p[7 + payload] = 0; /* STOP */
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

/* Runs the event loop until `until_ns`. */
static void run_until(conn *conns, int nconns, int64_t until_ns) {
  struct epoll_event events[256];
  (void)conns;
  (void)nconns;
  for (;;) {
    int64_t t = now_ns();
    if (t >= until_ns) return;
    if (measuring && t - last_progress_ns > STALL_NS) {
      stalls++;
      last_progress_ns = t;
    }
    int timeout_ms = (int)((until_ns - t) / 1000000) + 1;
    if (timeout_ms > 100) timeout_ms = 100;
    int n = epoll_wait(epfd, events, 256, timeout_ms);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      conn *c = events[i].data.ptr;
      if (c->dead) continue;
      if (!c->connected) {
        if (events[i].events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) on_connected(c);
        continue;
      }
      if (events[i].events & EPOLLOUT) {
        if (conn_flush(c) < 0) {
          conn_fail(c);
          continue;
        }
      }
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
    }
  }
}

int main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s HOST PORT CONNS DEPTH DURATION_S WARMUP_S PAYLOAD_BYTES\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int nconns = atoi(argv[3]);
  depth = atoi(argv[4]);
  double duration_s = atof(argv[5]);
  double warmup_s = atof(argv[6]);
  int payload = atoi(argv[7]);
  if (nconns < 1 || depth < 1 || duration_s <= 0 || warmup_s < 0 || payload < 0) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  build_template(payload);
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) die("inet_pton");

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  conn *conns = calloc((size_t)nconns, sizeof(conn));
  if (conns == NULL) die("calloc");
  for (int i = 0; i < nconns; i++) {
    conn *c = &conns[i];
    c->slot_seqid = calloc((size_t)depth, sizeof(uint32_t));
    c->slot_sent_ns = calloc((size_t)depth, sizeof(int64_t));
    if (c->slot_seqid == NULL || c->slot_sent_ns == NULL) die("calloc");
    for (int s = 0; s < depth; s++) {
      c->slot_seqid[s] = (uint32_t)s;
      c->slot_sent_ns[s] = -1;
    }
    c->fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (c->fd < 0) die("socket");
    int one = 1;
    setsockopt(c->fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (connect(c->fd, (struct sockaddr *)&addr, sizeof(addr)) < 0 && errno != EINPROGRESS) die("connect");
    struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
    c->want_out = 1;
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->fd, &ev) < 0) die("epoll_ctl");
  }

  int64_t start = now_ns();
  run_until(conns, nconns, start + (int64_t)(warmup_s * 1e9));

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  fprintf(stderr, "measure-start\n");
  measuring = 1;
  int64_t m0 = now_ns();
  last_progress_ns = m0;
  run_until(conns, nconns, m0 + (int64_t)(duration_s * 1e9));
  int64_t m1 = now_ns();
  measuring = 0;
  fprintf(stderr, "measure-end\n");
  getrusage(RUSAGE_SELF, &ru1);

  int outstanding = 0, live = 0;
  for (int i = 0; i < nconns; i++) {
    if (conns[i].dead) continue;
    live++;
    for (int s = 0; s < depth; s++) outstanding += conns[i].slot_sent_ns[s] >= 0;
  }
  double elapsed = (double)(m1 - m0) / 1e9;
  printf("{\"conns\":%d,\"depth\":%d,\"payload\":%d,\"duration_s\":%.3f,\"requests\":%llu,\"errors\":%llu,"
         "\"conn_failures\":%llu,\"live_conns\":%d,\"outstanding\":%d,\"stalls\":%llu,\"rps\":%.1f,"
         "\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,\"max_us\":%.1f,"
         "\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f}\n",
         nconns, depth, payload, elapsed, (unsigned long long)requests, (unsigned long long)errors,
         (unsigned long long)conn_failures, live, outstanding, (unsigned long long)stalls,
         (double)requests / elapsed, hist_percentile(0.50) / 1e3, hist_percentile(0.90) / 1e3,
         hist_percentile(0.99) / 1e3, hist_percentile(0.999) / 1e3, hist_percentile(1.0) / 1e3,
         tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime), tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime));
  fflush(stdout);
  return 0;
}
