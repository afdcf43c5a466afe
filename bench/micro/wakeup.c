/*
 * How long this machine takes to wake a sleeping process: a byte goes back and forth over two pipes
 * between two processes, COUNT round trips, each after GAP_US of sleep (0: back to back, so neither
 * core goes idle). CPU_A and CPU_B pin the two processes (-1: not pinned). Prints the round trip's
 * p50 / p90 / p99 / max in microseconds, then how many round trips took longer than 1 ms and 2 ms. Run by bench/wakeup.mjs, which builds it (bench/README,
 * "Eighteenth session": on the Firecracker VMs here a wake-up across idle virtual CPUs costs several
 * times one on the same CPU).
 *
 *   wakeup COUNT GAP_US CPU_A CPU_B
 */
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e6 + t.tv_nsec / 1e3;
}

static int by_value(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static void pin(int cpu) {
  if (cpu < 0) return;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(cpu, &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) { perror("sched_setaffinity"); exit(1); }
}

int main(int argc, char **argv) {
  if (argc != 5) { fprintf(stderr, "usage: wakeup COUNT GAP_US CPU_A CPU_B\n"); return 2; }
  int count = atoi(argv[1]), gap_us = atoi(argv[2]), cpu_a = atoi(argv[3]), cpu_b = atoi(argv[4]);
  if (count < 100) { fprintf(stderr, "COUNT must be at least 100\n"); return 2; }
  int there[2], back[2];
  if (pipe(there) || pipe(back)) { perror("pipe"); return 1; }
  pid_t echo = fork();
  if (echo == 0) {
    pin(cpu_b);
    char c;
    for (int i = 0; i < count; i++) {
      if (read(there[0], &c, 1) != 1 || write(back[1], &c, 1) != 1) return 1;
    }
    return 0;
  }
  pin(cpu_a);
  double *trip = malloc((size_t)count * sizeof *trip);
  char c = 'x';
  struct timespec gap = { .tv_sec = gap_us / 1000000, .tv_nsec = (long)(gap_us % 1000000) * 1000 };
  for (int i = 0; i < count; i++) {
    if (gap_us > 0) nanosleep(&gap, NULL);
    double start = now_us();
    if (write(there[1], &c, 1) != 1 || read(back[0], &c, 1) != 1) { perror("pipe"); return 1; }
    trip[i] = now_us() - start;
  }
  waitpid(echo, NULL, 0);
  qsort(trip, (size_t)count, sizeof *trip, by_value);
  int over1 = 0, over2 = 0;
  for (int i = 0; i < count; i++) over1 += trip[i] > 1000, over2 += trip[i] > 2000;
  printf("%.1f %.1f %.1f %.1f %d %d\n", trip[count / 2], trip[count * 9 / 10], trip[count * 99 / 100], trip[count - 1], over1, over2);
  return 0;
}
