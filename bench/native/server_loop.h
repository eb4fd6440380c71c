/*
 * The benchmark servers' skeleton: a single-threaded epoll server that reads what each connection
 * sends, lets the protocol answer every complete frame, and sends all the replies produced by one read
 * in one write, so pipelined requests cost one syscall pair per batch, like any efficient RPC server.
 *
 * The including program defines
 *   static long serve_frames(bench_io *io, const uint8_t *in, size_t len);
 * which answers every complete frame at the start of `in` by appending replies (io_append), and
 * returns how many bytes it consumed, or -1 when the input is malformed (the connection is closed).
 *
 * Usage of a server: PROG HOST PORT   (PORT 0 picks a free port; prints "listening PORT" once bound)
 */
#ifndef BENCH_SERVER_LOOP_H
#define BENCH_SERVER_LOOP_H

#include "common.h"

static long serve_frames(bench_io *io, const uint8_t *in, size_t len);

static void server_close(bench_io *c) {
  io_free(c);
  free(c);
}

static void server_on_readable(bench_io *c) {
  int got = io_read(c);
  if (got < 0) {
    server_close(c);
    return;
  }
  if (got == 0) return;
  long used = serve_frames(c, c->rbuf, c->rlen);
  if (used < 0) {
    server_close(c);
    return;
  }
  io_consume(c, (size_t)used);
  if (io_flush(c) < 0) server_close(c);
}

static void server_on_accept(int lfd) {
  for (;;) {
    int fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;
    set_nodelay(fd);
    bench_io *c = calloc(1, sizeof(bench_io));
    if (c == NULL) die("calloc");
    c->fd = fd;
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
    if (epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev) < 0) die("epoll_ctl");
  }
}

/* Binds HOST PORT, prints the port, and serves until killed. */
static int server_main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  exit_with_parent();
  int lfd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (lfd < 0) die("socket");
  int one = 1;
  setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
  struct sockaddr_in addr;
  parse_addr(&addr, argv[1], argv[2]);
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
      bench_io *c = events[i].data.ptr;
      if (c == NULL) {
        server_on_accept(lfd);
      } else if (events[i].events & EPOLLOUT) {
        if (io_flush(c) < 0) server_close(c);
        else if (events[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR)) server_on_readable(c);
      } else {
        server_on_readable(c);
      }
    }
  }
}

#endif
