/*
 * The open-loop load generator's client in C (`client: 'c'` of openloop.mjs; `--client c` of run.mjs,
 * ab.mjs): the same schedule, connection pool and answer framing as `raw-http.mjs`, for a
 * ~50 us of CPU a request (most of it the kernel's socket work) instead of ~220. The load generator shares the two cores with the
 * fake and the target it measures; what it spends is taken from them (bench/README, "Eighteenth
 * session"). Built by `openloop.mjs` with `cc -O2` on first use, into bench/.build/.
 *
 *   openloop HOST PORT RATE WARMUP_S DURATION_S CONNECTIONS WATCH_DATA HEADER DRAIN_S [IDLE_MS] < request-bytes
 *
 * Requests are due at start + i / RATE (epoll_pwait2 sleeps until the next due time with a
 * nanosecond timeout: requests leave one by one, 1 ms apart at 1,000/s); a request's latency counts from the moment it is handed to the pool, as in
 * raw-http.mjs. Up to CONNECTIONS keep-alive connections are opened as needed; idle ones are reused
 * last-in first-out (one idle for more than IDLE_MS, default 4,000, is closed instead: the server may
 * be closing it), requests beyond them wait in order. Each phase (warm-up, then the measured one)
 * ends when its schedule has run and its answers are in, or DRAIN_S after the schedule: the answers
 * still missing are `unfinished`. Answers are framed by Content-Length or chunked encoding; one
 * request at a time per connection; `connection: close` honoured. WATCH_DATA=1: an SSE answer, its
 * first-token time is when its body first holds `data:`, and it must end with `[DONE]`.
 *
 * Output on stdout, one line each:
 *   m                                   the measured phase starts now
 *   s LAT_US TTFT_US OWN_US SENT_MS     a measured answer (-1 where there is none); SENT_MS on CLOCK_MONOTONIC
 *   p SENT ELAPSED_S UNFINISHED LAST_ANSWER_S DISPATCHES ALONE LARGEST_BURST   a phase's end
 *   c ERRORS NON2XX                     counts over both phases
 *   e TEXT                              the first failure (a status and the body's start, or a reason)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BUF 65536
#define KEEP 200

enum { HEAD, BODY_LENGTH, CHUNK_SIZE, CHUNK_DATA, CHUNK_CRLF, TRAILERS };

typedef struct {
  int fd, busy, open, state, close_after, status, record, fail_reported;
  long remaining;
  double started, first_data, own_us, idle_since;
  char head[8192];  /* the answer's head (or a partial chunk-size / trailer line) */
  int head_len;
  char body_start[KEEP + 1];
  int body_start_len;
  char window[8];   /* the body's last bytes before this read, to find `data:` across reads */
  int window_len;
  char tail[33];
  int tail_len;
} conn_t;

static const char *host, *header_name;
static int port, connections, watch_data, epfd;
static double rate, drain_s, idle_limit_ms = 4000;
static char *request;
static size_t request_len;
static conn_t *conns;
static int *idle, idle_n;
/* Requests waiting for a connection, in order: queue[wait_head, wait_tail). */
typedef struct { double started; int record; } waiter_t;
static waiter_t *queue;
static long wait_head = 0, wait_tail = 0, wait_cap = 0;
static long inflight = 0, errors = 0, non2xx = 0;
static int measuring = 0;
static double last_answer = 0;
static char first_error[300];

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e3 + t.tv_nsec / 1e6;
}

static void note_error(const char *text) {
  if (!first_error[0]) snprintf(first_error, sizeof first_error, "%s", text);
}

static void conn_close(conn_t *c) {
  if (c->open) {
    epoll_ctl(epfd, EPOLL_CTL_DEL, c->fd, NULL);
    close(c->fd);
  }
  c->open = 0;
  c->fd = -1;
  for (int i = 0; i < idle_n; i++)
    if (&conns[idle[i]] == c) { idle[i] = idle[--idle_n]; break; }
}

static int conn_open(conn_t *c) {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
  inet_pton(AF_INET, host, &a.sin_addr);
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) < 0) { close(fd); return -1; }
  fcntl(fd, F_SETFL, O_NONBLOCK);
  struct epoll_event ev = { .events = EPOLLIN, .data.u32 = (uint32_t)(c - conns) };
  epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
  c->fd = fd;
  c->open = 1;
  return 0;
}

static void conn_send(conn_t *c, double started, int record) {
  c->busy = 1; c->state = HEAD; c->head_len = 0; c->remaining = 0; c->close_after = 0; c->status = 0;
  c->started = started; c->record = record; c->first_data = -1; c->own_us = -1;
  c->body_start_len = 0; c->window_len = 0; c->tail_len = 0;
  size_t off = 0;
  while (off < request_len) {  /* a request of a few hundred bytes: one write on a fresh socket buffer */
    ssize_t n = write(c->fd, request + off, request_len - off);
    if (n < 0 && errno == EAGAIN) continue;
    if (n <= 0) { conn_close(c); c->busy = 0; inflight--; errors++; note_error("write failed"); return; }
    off += (size_t)n;
  }
}

/* Hand one request (started now, at `started`) to an idle or new connection, or queue it. */
static void dispatch(double started, int record) {
  inflight++;
  while (idle_n > 0) {
    conn_t *c = &conns[idle[--idle_n]];
    /* Idle for longer than the server may keep it (Node's keepAliveTimeout is 5 s): a request sent
     * now could cross the server's close. Closed instead, as undici does. */
    if (started - c->idle_since > idle_limit_ms) { conn_close(c); continue; }
    conn_send(c, started, record);
    return;
  }
  for (int i = 0; i < connections; i++)
    if (!conns[i].open) {
      if (conn_open(&conns[i]) < 0) { inflight--; errors++; note_error("connect failed"); return; }
      conn_send(&conns[i], started, record);
      return;
    }
  if (wait_tail == wait_cap) {  /* full: move the waiting ones to the front, then grow if need be */
    memmove(queue, queue + wait_head, (size_t)(wait_tail - wait_head) * sizeof *queue);
    wait_tail -= wait_head;
    wait_head = 0;
    if (wait_tail == wait_cap) queue = realloc(queue, (size_t)(wait_cap = wait_cap ? wait_cap * 2 : 1024) * sizeof *queue);
  }
  queue[wait_tail++] = (waiter_t){ started, record };
}

/* A free connection takes the oldest waiting request, or goes idle. */
static void release(conn_t *c) {
  c->busy = 0;
  if (wait_head < wait_tail) {
    waiter_t w = queue[wait_head++];
    if (wait_head == wait_tail) wait_head = wait_tail = 0;
    conn_send(c, w.started, w.record);
  } else {
    c->idle_since = now_ms();
    idle[idle_n++] = (int)(c - conns);
  }
}

/* Close a connection; a request waiting for one gets a new one in its place. */
static void close_and_replace(conn_t *c) {
  conn_close(c);
  c->busy = 0;
  if (wait_head < wait_tail && conn_open(c) == 0) release(c);
}

static void finish(conn_t *c) {
  double ended = now_ms();
  inflight--;
  int ok = 1;
  if (c->status < 200 || c->status > 299) {
    non2xx++;
    if (!first_error[0]) { c->body_start[c->body_start_len] = 0; snprintf(first_error, sizeof first_error, "%d %s", c->status, c->body_start); }
    ok = 0;
  } else if (watch_data && !(c->tail[c->tail_len] = 0, strstr(c->tail, "[DONE]"))) {
    errors++;
    note_error("stream ended without [DONE]");
    ok = 0;
  }
  if (ok && c->record) {
    last_answer = ended;
    printf("s %.0f %.0f %.0f %.3f\n", (ended - c->started) * 1000, watch_data ? (c->first_data - c->started) * 1000 : -1.0, c->own_us, c->started);
  }
  if (c->close_after) close_and_replace(c);
  else release(c);
}

static void fail(conn_t *c, const char *why) {
  if (c->busy) { inflight--; errors++; note_error(why); }
  close_and_replace(c);
}

static void body(conn_t *c, const char *p, long n) {
  if (c->body_start_len < KEEP) {
    long take = n < KEEP - c->body_start_len ? n : KEEP - c->body_start_len;
    memcpy(c->body_start + c->body_start_len, p, (size_t)take);
    c->body_start_len += (int)take;
  }
  if (watch_data && c->first_data < 0) {
    /* `data:` in the last bytes seen before this read and the first ones of it, or in this read */
    char probe[8];
    int w = c->window_len, take = n < 4 ? (int)n : 4;
    memcpy(probe, c->window, (size_t)w);
    memcpy(probe + w, p, (size_t)take);
    if (memmem(probe, (size_t)(w + take), "data:", 5) || memmem(p, (size_t)n, "data:", 5)) c->first_data = now_ms();
    else if (n >= 4) { memcpy(c->window, p + n - 4, 4); c->window_len = 4; }
    else { int total = w + take, keep = total < 4 ? total : 4; memmove(c->window, probe + total - keep, (size_t)keep); c->window_len = keep; }
  }
  if (watch_data) {
    if (n >= 32) { memcpy(c->tail, p + n - 32, 32); c->tail_len = 32; }
    else {
      int keep = 32 - (int)n < c->tail_len ? 32 - (int)n : c->tail_len;
      memmove(c->tail, c->tail + c->tail_len - keep, (size_t)keep);
      memcpy(c->tail + keep, p, (size_t)n);
      c->tail_len = keep + (int)n;
    }
  }
}

/* Parse the head in c->head[0..len): status, framing, connection, the asked header. */
static void read_head(conn_t *c, int len) {
  c->head[len] = 0;
  c->status = len > 12 ? atoi(c->head + 9) : 0;
  int chunked = 0;
  long length = 0;
  char *line = strstr(c->head, "\r\n");
  while (line && line < c->head + len) {
    line += 2;
    char *end = strstr(line, "\r\n");
    if (!end) end = c->head + len;
    char *colon = memchr(line, ':', (size_t)(end - line));
    if (colon) {
      size_t name_len = (size_t)(colon - line);
      char *v = colon + 1;
      while (v < end && (*v == ' ' || *v == '\t')) v++;
      char saved = *end;
      *end = 0;
      if (name_len == 14 && !strncasecmp(line, "content-length", 14)) length = atol(v);
      else if (name_len == 17 && !strncasecmp(line, "transfer-encoding", 17)) chunked = strcasestr(v, "chunked") != NULL;
      else if (name_len == 10 && !strncasecmp(line, "connection", 10)) c->close_after = !strncasecmp(v, "close", 5);
      else if (name_len == strlen(header_name) && !strncasecmp(line, header_name, name_len)) c->own_us = atof(v) * 1000;
      *end = saved;
    }
    line = end < c->head + len ? end : NULL;
  }
  if (chunked) c->state = CHUNK_SIZE;
  else { c->state = BODY_LENGTH; c->remaining = length; }
}

/* Returns 1 when the answer is complete (the connection may then be reused), -1 on a framing error. */
static int on_data(conn_t *c, char *data, long n) {
  long at = 0;
  if (c->state == HEAD) {
    long room = (long)sizeof c->head - 1 - c->head_len;
    long take = n < room ? n : room;
    memcpy(c->head + c->head_len, data, (size_t)take);
    int before = c->head_len;
    c->head_len += (int)take;
    c->head[c->head_len] = 0;
    char *end = strstr(c->head, "\r\n\r\n");
    if (!end) return c->head_len >= (int)sizeof c->head - 1 ? -1 : 0;
    int head_len = (int)(end - c->head);
    at = head_len + 4 - before;  /* where the body starts in `data` */
    read_head(c, head_len);
    c->head_len = 0;
    if (c->state == BODY_LENGTH && c->remaining == 0) return 1;
  }
  while (at < n) {
    if (c->state == BODY_LENGTH || c->state == CHUNK_DATA) {
      long take = c->remaining < n - at ? c->remaining : n - at;
      body(c, data + at, take);
      at += take;
      c->remaining -= take;
      if (c->remaining == 0) {
        if (c->state == BODY_LENGTH) return 1;
        c->state = CHUNK_CRLF;
      }
    } else if (c->state == CHUNK_CRLF) {
      if (data[at] == '\n') c->state = CHUNK_SIZE;
      at++;
    } else {  /* a chunk-size line or a trailer line, up to LF */
      char *lf = memchr(data + at, '\n', (size_t)(n - at));
      long piece = lf ? (long)(lf - (data + at)) : n - at;
      if (c->head_len + piece >= (long)sizeof c->head) return -1;
      memcpy(c->head + c->head_len, data + at, (size_t)piece);
      c->head_len += (int)piece;
      if (!lf) return 0;
      at += piece + 1;
      int len = c->head_len;
      c->head_len = 0;
      if (len > 0 && c->head[len - 1] == '\r') len--;
      c->head[len] = 0;
      if (c->state == TRAILERS) {
        if (len == 0) return 1;
      } else {
        char *endp;
        long size = strtol(c->head, &endp, 16);
        if (endp == c->head) return -1;
        if (size == 0) c->state = TRAILERS;
        else { c->state = CHUNK_DATA; c->remaining = size; }
      }
    }
  }
  return 0;
}

static void on_readable(conn_t *c) {
  static char buf[BUF];
  for (;;) {
    ssize_t n = read(c->fd, buf, sizeof buf);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n <= 0) { fail(c, "connection closed by the server"); return; }
    if (!c->busy) continue;  /* bytes after an answer: ignored */
    int r = on_data(c, buf, n);
    if (r < 0) { fail(c, "bad framing in the answer"); return; }
    if (r == 1) { finish(c); return; }
  }
}

static int have_pwait2 = 1;

/* Wait for answers until `until_ms` (CLOCK_MONOTONIC) at the latest, handling what comes. */
static void pump(double until_ms) {
  struct epoll_event ev[64];
  double left = until_ms - now_ms();
  if (left < 0) left = 0;
  int n;
  if (have_pwait2) {
    struct timespec t = { .tv_sec = (time_t)(left / 1000), .tv_nsec = (long)((left - floor(left / 1000) * 1000) * 1e6) };
    n = epoll_pwait2(epfd, ev, 64, &t, NULL);
    if (n < 0 && errno == ENOSYS) { have_pwait2 = 0; return; }
  } else n = epoll_wait(epfd, ev, 64, (int)ceil(left));
  for (int i = 0; i < n; i++) {
    conn_t *c = &conns[ev[i].data.u32];
    if (c->open) on_readable(c);
  }
}

static void phase(double seconds) {
  long total = (long)(rate * seconds + 0.5), sent = 0, dispatches = 0, alone = 0, largest = 0;
  double start = now_ms();
  while (sent < total) {
    double now = now_ms();
    long due = (long)((now - start) * rate / 1000);
    if (due > total) due = total;
    if (due > sent) {
      long burst = due - sent;
      if (measuring) { dispatches++; if (burst == 1) alone++; if (burst > largest) largest = burst; }
      for (; sent < due; sent++) dispatch(now, measuring);
    }
    if (sent >= total) break;
    pump(start + (double)(sent + 1) * 1000 / rate);
  }
  double elapsed = (now_ms() - start) / 1000;
  double deadline = now_ms() + drain_s * 1000;
  while (inflight > 0 && now_ms() < deadline) pump(deadline);
  printf("p %ld %.6f %ld %.6f %ld %ld %ld\n", sent, elapsed, inflight, last_answer > 0 ? (last_answer - start) / 1000 : 0, dispatches, alone, largest);
  fflush(stdout);
}

int main(int argc, char **argv) {
  if (argc != 10 && argc != 11) {
    fprintf(stderr, "usage: openloop HOST PORT RATE WARMUP_S DURATION_S CONNECTIONS WATCH_DATA HEADER DRAIN_S [IDLE_MS] < request\n");
    return 2;
  }
  host = argv[1]; port = atoi(argv[2]); rate = atof(argv[3]);
  double warmup = atof(argv[4]), duration = atof(argv[5]);
  connections = atoi(argv[6]); watch_data = atoi(argv[7]); header_name = argv[8]; drain_s = atof(argv[9]);
  if (argc == 11) idle_limit_ms = atof(argv[10]);
  if (rate <= 0 || connections <= 0) { fprintf(stderr, "RATE and CONNECTIONS must be positive\n"); return 2; }
  size_t cap = 4096;
  request = malloc(cap);
  for (;;) {
    size_t n = fread(request + request_len, 1, cap - request_len, stdin);
    request_len += n;
    if (n == 0) break;
    if (request_len == cap) request = realloc(request, cap *= 2);
  }
  if (request_len == 0) { fprintf(stderr, "no request bytes on stdin\n"); return 2; }
  conns = calloc((size_t)connections, sizeof *conns);
  idle = calloc((size_t)connections, sizeof *idle);
  for (int i = 0; i < connections; i++) conns[i].fd = -1;
  epfd = epoll_create1(EPOLL_CLOEXEC);
  if (warmup > 0) phase(warmup);
  measuring = 1;
  last_answer = 0;
  printf("m\n");
  fflush(stdout);
  phase(duration);
  printf("c %ld %ld\n", errors, non2xx);
  if (first_error[0]) {
    for (char *p = first_error; *p; p++) if (*p == '\n' || *p == '\r') *p = ' ';
    printf("e %s\n", first_error);
  }
  fflush(stdout);
  return 0;
}
