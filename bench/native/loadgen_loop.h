/*
 * The benchmark load generators' skeleton: single-threaded epoll, closed loop, CONNS connections x
 * DEPTH calls in flight per connection.
 *
 * Each connection owns DEPTH slots; slot s sends ids s+1, s+1+DEPTH, s+1+2*DEPTH, ..., so ids are
 * unique per connection (and never 0) and a reply finds its slot even if replies come back out of
 * order. A reply the protocol finds wrong, or whose id is not outstanding, counts as an error. Calls
 * that a read completes are re-sent together in one write. Latency is the time from the write that
 * carried a call to the read that carried its reply (histogram.h). A run in which no reply arrives for
 * 2 s counts a stall.
 *
 * The including program defines
 *   static uint8_t *build_request(int payload, size_t *len);
 *       the call's bytes (its argument a string of `payload` bytes), built once
 *   static void set_request_id(uint8_t *request, uint64_t id);
 *       patches the call id into a copy of those bytes
 *   static long parse_reply(const uint8_t *in, size_t len, uint64_t *id, int *ok);
 *       looks at the frame at the start of `in`: 0 while it is incomplete, -1 when it is malformed
 *       (the connection is dropped), else its length, with its id and whether it is a good reply
 *
 * Usage of a load generator: PROG HOST PORT CONNS DEPTH DURATION_S WARMUP_S PAYLOAD_BYTES
 * Prints "measure-start" and "measure-end" lines on stderr around the measured phase (so a driver can
 * sample other processes' CPU), then one JSON object on stdout.
 */
#ifndef BENCH_LOADGEN_LOOP_H
#define BENCH_LOADGEN_LOOP_H

#include <sys/resource.h>

#include "common.h"
#include "histogram.h"

#define STALL_NS 2000000000LL

static uint8_t *build_request(int payload, size_t *len);
static void set_request_id(uint8_t *request, uint64_t id);
static long parse_reply(const uint8_t *in, size_t len, uint64_t *id, int *ok);

typedef struct conn {
  bench_io io; /* first: the epoll data pointer */
  int connected;
  int dead;
  uint64_t *slot_id;
  int64_t *slot_sent_ns; /* < 0: slot idle */
} conn;

static int depth;
static uint8_t *req_template;
static size_t req_len;
static int measuring;
static uint64_t requests, errors, conn_failures, stalls;
static int64_t last_progress_ns;

static void conn_fail(conn *c) {
  if (c->dead) return;
  c->dead = 1;
  conn_failures++;
  for (int s = 0; s < depth; s++) {
    if (c->slot_sent_ns[s] >= 0 && measuring) errors++;
    c->slot_sent_ns[s] = -1;
  }
  io_free(&c->io);
}

static void queue_call(conn *c, int slot, int64_t t) {
  uint8_t *p = io_append(&c->io, req_len);
  memcpy(p, req_template, req_len);
  set_request_id(p, c->slot_id[slot]);
  c->slot_sent_ns[slot] = t;
}

/* Handles every complete reply in the buffer, queueing the next call on each freed slot. */
static int conn_process(conn *c, int64_t t) {
  size_t off = 0;
  for (;;) {
    uint64_t id = 0;
    int ok = 0;
    long flen = parse_reply(c->io.rbuf + off, c->io.rlen - off, &id, &ok);
    if (flen < 0) return -1;
    if (flen == 0) break;
    off += (size_t)flen;
    int slot = (int)((id - 1) % (uint64_t)depth);
    int outstanding = c->slot_sent_ns[slot] >= 0 && c->slot_id[slot] == id;
    if (!ok || !outstanding) {
      if (measuring) errors++;
      /* An error reply to an outstanding call still ends that call: resend so the loop keeps going. */
      if (!outstanding) continue;
    } else if (measuring) {
      requests++;
      hist_record((uint64_t)(t - c->slot_sent_ns[slot]));
    }
    c->slot_id[slot] += (uint64_t)depth;
    queue_call(c, slot, t);
  }
  io_consume(&c->io, off);
  return 0;
}

static void on_readable(conn *c) {
  int got = io_read(&c->io);
  if (got < 0) {
    conn_fail(c);
    return;
  }
  if (got == 0) return;
  int64_t t = now_ns();
  last_progress_ns = t;
  if (conn_process(c, t) < 0 || io_flush(&c->io) < 0) conn_fail(c);
}

static void on_connected(conn *c) {
  int err = 0;
  socklen_t len = sizeof(err);
  getsockopt(c->io.fd, SOL_SOCKET, SO_ERROR, &err, &len);
  if (err != 0) {
    errno = err;
    perror("connect");
    conn_fail(c);
    return;
  }
  c->connected = 1;
  int64_t t = now_ns();
  for (int s = 0; s < depth; s++) queue_call(c, s, t);
  if (io_flush(&c->io) < 0) conn_fail(c);
}

static void conn_open(conn *c, const struct sockaddr_in *addr) {
  c->slot_id = calloc((size_t)depth, sizeof(uint64_t));
  c->slot_sent_ns = calloc((size_t)depth, sizeof(int64_t));
  if (c->slot_id == NULL || c->slot_sent_ns == NULL) die("calloc");
  for (int s = 0; s < depth; s++) {
    c->slot_id[s] = (uint64_t)s + 1;
    c->slot_sent_ns[s] = -1;
  }
  c->io.fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (c->io.fd < 0) die("socket");
  set_nodelay(c->io.fd);
  if (connect(c->io.fd, (const struct sockaddr *)addr, sizeof(*addr)) < 0 && errno != EINPROGRESS) {
    die("connect");
  }
  struct epoll_event ev = {.events = EPOLLIN | EPOLLOUT, .data.ptr = c};
  c->io.want_out = 1;
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, c->io.fd, &ev) < 0) die("epoll_ctl");
}

/* Runs the event loop until `until_ns`. */
static void run_until(int64_t until_ns) {
  struct epoll_event events[256];
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
      if ((events[i].events & EPOLLOUT) && io_flush(&c->io) < 0) {
        conn_fail(c);
        continue;
      }
      if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
    }
  }
}

static double tv_s(struct timeval tv) { return (double)tv.tv_sec + (double)tv.tv_usec / 1e6; }

static int loadgen_main(int argc, char **argv) {
  if (argc != 8) {
    fprintf(stderr, "usage: %s HOST PORT CONNS DEPTH DURATION_S WARMUP_S PAYLOAD_BYTES\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  exit_with_parent();
  int nconns = atoi(argv[3]);
  depth = atoi(argv[4]);
  double duration_s = atof(argv[5]);
  double warmup_s = atof(argv[6]);
  int payload = atoi(argv[7]);
  if (nconns < 1 || depth < 1 || duration_s <= 0 || warmup_s < 0 || payload < 0) {
    fprintf(stderr, "bad arguments\n");
    return 2;
  }
  req_template = build_request(payload, &req_len);
  struct sockaddr_in addr;
  parse_addr(&addr, argv[1], argv[2]);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  conn *conns = calloc((size_t)nconns, sizeof(conn));
  if (conns == NULL) die("calloc");
  for (int i = 0; i < nconns; i++) conn_open(&conns[i], &addr);

  run_until(now_ns() + (int64_t)(warmup_s * 1e9));

  struct rusage ru0, ru1;
  getrusage(RUSAGE_SELF, &ru0);
  fprintf(stderr, "measure-start\n");
  measuring = 1;
  int64_t m0 = now_ns();
  last_progress_ns = m0;
  run_until(m0 + (int64_t)(duration_s * 1e9));
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
  printf("{\"conns\":%d,\"depth\":%d,\"payload\":%d,\"request_bytes\":%zu,\"duration_s\":%.3f,"
         "\"requests\":%llu,\"errors\":%llu,\"conn_failures\":%llu,\"live_conns\":%d,\"outstanding\":%d,"
         "\"stalls\":%llu,\"rps\":%.1f,\"p50_us\":%.1f,\"p90_us\":%.1f,\"p99_us\":%.1f,\"p999_us\":%.1f,"
         "\"max_us\":%.1f,\"cpu_user_s\":%.3f,\"cpu_sys_s\":%.3f}\n",
         nconns, depth, payload, req_len, elapsed, (unsigned long long)requests, (unsigned long long)errors,
         (unsigned long long)conn_failures, live, outstanding, (unsigned long long)stalls,
         (double)requests / elapsed, hist_percentile(0.50) / 1e3, hist_percentile(0.90) / 1e3,
         hist_percentile(0.99) / 1e3, hist_percentile(0.999) / 1e3, hist_percentile(1.0) / 1e3,
         tv_s(ru1.ru_utime) - tv_s(ru0.ru_utime), tv_s(ru1.ru_stime) - tv_s(ru0.ru_stime));
  fflush(stdout);
  return 0;
}

#endif
