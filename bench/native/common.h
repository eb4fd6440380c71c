/*
 * What the benchmark's C programs share: big-endian integers, timing, fatal errors, and a buffered
 * non-blocking connection driven by one epoll instance. Header-only: each program is one translation
 * unit (gcc -O2 prog.c), so everything here is static (inline, so that what a program does not use
 * costs nothing and draws no warning).
 *
 * A program's connection struct starts with a `bench_io`, so the epoll data pointer is both.
 */
#ifndef BENCH_COMMON_H
#define BENCH_COMMON_H

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
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define READ_CHUNK (64 * 1024)

/* The program's one epoll instance. */
static int epfd;

static inline uint32_t rd32(const uint8_t *p) {
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline void wr32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

static inline uint64_t rd64(const uint8_t *p) { return ((uint64_t)rd32(p) << 32) | rd32(p + 4); }

static inline void wr64(uint8_t *p, uint64_t v) {
  wr32(p, (uint32_t)(v >> 32));
  wr32(p + 4, (uint32_t)v);
}

static inline int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline void die(const char *what) {
  perror(what);
  exit(1);
}

static inline void *xrealloc(void *p, size_t n) {
  void *q = realloc(p, n);
  if (q == NULL) die("realloc");
  return q;
}

/* Room for `n` more bytes at the end of a growable buffer (data, len, cap); the caller fills them. */
static inline uint8_t *grow(uint8_t **data, size_t *len, size_t *cap, size_t n) {
  if (*len + n > *cap) {
    *cap = (*len + n) * 2;
    *data = xrealloc(*data, *cap);
  }
  uint8_t *p = *data + *len;
  *len += n;
  return p;
}

/* Makes the program stop by itself when the process that started it (the bench driver) dies. */
static inline void exit_with_parent(void) {
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGTERM) < 0) die("prctl");
  if (getppid() != parent) exit(1); /* the parent died before the call */
}

static inline void set_nodelay(int fd) {
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static inline void parse_addr(struct sockaddr_in *addr, const char *host, const char *port) {
  memset(addr, 0, sizeof(*addr));
  addr->sin_family = AF_INET;
  addr->sin_port = htons((uint16_t)atoi(port));
  if (inet_pton(AF_INET, host, &addr->sin_addr) != 1) die("inet_pton");
}

/* A non-blocking socket with its read buffer and its pending output. */
typedef struct bench_io {
  int fd;
  int want_out; /* EPOLLOUT registered */
  uint8_t *rbuf;
  size_t rlen, rcap;
  uint8_t *wbuf;
  size_t wlen, woff, wcap;
} bench_io;

static inline void io_want_out(bench_io *io, int on) {
  if (io->want_out == on) return;
  struct epoll_event ev = {.events = EPOLLIN | (on ? EPOLLOUT : 0), .data.ptr = io};
  epoll_ctl(epfd, EPOLL_CTL_MOD, io->fd, &ev);
  io->want_out = on;
}

/* Room for `n` more bytes of output; the caller fills them. */
static inline uint8_t *io_append(bench_io *io, size_t n) { return grow(&io->wbuf, &io->wlen, &io->wcap, n); }

/* Writes as much pending output as the socket takes; returns -1 when the connection failed. */
static inline int io_flush(bench_io *io) {
  while (io->woff < io->wlen) {
    ssize_t n = write(io->fd, io->wbuf + io->woff, io->wlen - io->woff);
    if (n > 0) {
      io->woff += (size_t)n;
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      io_want_out(io, 1);
      return 0;
    } else {
      return -1;
    }
  }
  io->wlen = io->woff = 0;
  io_want_out(io, 0);
  return 0;
}

/* Reads once into the buffer: 1 when bytes arrived, 0 when none were ready, -1 on close or error. */
static inline int io_read(bench_io *io) {
  if (io->rcap - io->rlen < READ_CHUNK) {
    io->rcap = io->rlen + READ_CHUNK * 2;
    io->rbuf = xrealloc(io->rbuf, io->rcap);
  }
  ssize_t n = read(io->fd, io->rbuf + io->rlen, io->rcap - io->rlen);
  if (n > 0) {
    io->rlen += (size_t)n;
    return 1;
  }
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return 0;
  return -1;
}

/* Drops the first `n` buffered input bytes (the frames handled). */
static inline void io_consume(bench_io *io, size_t n) {
  if (n == 0) return;
  memmove(io->rbuf, io->rbuf + n, io->rlen - n);
  io->rlen -= n;
}

static inline void io_free(bench_io *io) {
  epoll_ctl(epfd, EPOLL_CTL_DEL, io->fd, NULL);
  close(io->fd);
  free(io->rbuf);
  free(io->wbuf);
  io->rbuf = io->wbuf = NULL;
}

#endif
