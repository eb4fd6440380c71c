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
 * ONEWAY messages. Replies produced by one read are sent with one write, so pipelined requests cost one
 * syscall pair per batch, like any efficient RPC server. Only what the benchmark needs, nothing more.
 *
 * Usage: thrift_server HOST PORT   (PORT 0 picks a free port; prints "listening PORT" once bound)
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
#include <sys/socket.h>
#include <unistd.h>

#define MAX_FRAME (16 * 1024 * 1024)
#define READ_CHUNK (64 * 1024)
#define RESULT "Hello from the bench!" /* 21 bytes */

typedef struct conn {
  int fd;
  uint8_t *rbuf;
  size_t rlen, rcap;
  uint8_t *wbuf;
  size_t wlen, woff, wcap;
  int want_out;
} conn;

static int epfd;

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

static void conn_close(conn *c) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
  close(c->fd);
  free(c->rbuf);
  free(c->wbuf);
  free(c);
}

static void set_out_interest(conn *c, int on) {
  if (c->want_out == on) return;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = on;
}

/* Writes as much pending output as the socket takes; returns -1 when the connection failed. */
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

static void append_reply(conn *c, const uint8_t *name, uint32_t name_len, uint32_t seqid) {
  size_t rlen = sizeof(RESULT) - 1;
  /* version, name_len, name, seqid, field header (3), string len, string, STOP */
  size_t msg = 4 + 4 + name_len + 4 + 3 + 4 + rlen + 1;
  size_t need = c->wlen + 4 + msg;
  if (need > c->wcap) {
    c->wcap = need * 2;
    c->wbuf = xrealloc(c->wbuf, c->wcap);
  }
  uint8_t *p = c->wbuf + c->wlen;
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
  c->wlen = need;
}

/* Consumes every complete frame in the read buffer; returns -1 on a malformed frame. */
static int conn_process(conn *c) {
  size_t off = 0;
  while (c->rlen - off >= 4) {
    uint32_t flen = rd32(c->rbuf + off);
    if (flen > MAX_FRAME || flen < 12) return -1;
    if (c->rlen - off - 4 < flen) break;
    const uint8_t *m = c->rbuf + off + 4;
    uint32_t ver = rd32(m);
    if ((ver & 0xffff0000u) != 0x80010000u) return -1;
    uint32_t type = ver & 0xff;
    uint32_t name_len = rd32(m + 4);
    if (name_len > flen - 12) return -1;
    uint32_t seqid = rd32(m + 8 + name_len);
    if (type == 1) append_reply(c, m + 8, name_len, seqid);
    off += 4 + flen;
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
    conn_close(c);
    return;
  }
  if (n < 0) return;
  c->rlen += (size_t)n;
  if (conn_process(c) < 0 || conn_flush(c) < 0) conn_close(c);
}

static void on_accept(int lfd) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    conn *c = calloc(1, sizeof(conn));
    if (c == NULL) die("calloc");
    c->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
  }
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(argv[2]))};
  if (inet_pton(AF_INET, argv[1], &addr.sin_addr) != 1) die("inet_pton");
  if (bind(lfd, (struct sockaddr *)&addr, sizeof(addr)) < 0) die("bind");
  if (listen(lfd, 4096) < 0) die("listen");
  socklen_t alen = sizeof(addr);
  getsockname(lfd, (struct sockaddr *)&addr, &alen);
  printf("listening %d\n", ntohs(addr.sin_port));
  fflush(stdout);

  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (epfd < 0) die("epoll_create1");
  struct epoll_event lev = {.events = EPOLLIN, .data.ptr = NULL};
  if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &lev) < 0) die("epoll_ctl");

  struct epoll_event events[256];
  for (;;) {
    int n = epoll_wait(epfd, events, 256, -1);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("epoll_wait");
    for (int i = 0; i < n; i++) {
      conn *c = events[i].data.ptr;
      if (c == NULL) {
        on_accept(lfd);
      } else if (events[i].events & EPOLLOUT) {
        if (conn_flush(c) < 0) conn_close(c);
        else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) on_readable(c);
      } else {
        on_readable(c);
      }
    }
  }
}
