/*
 * Keeps one CPU from going idle without taking time from anything else: pinned to CPU, at the
 * SCHED_IDLE policy (it runs only when nothing else on that CPU can), it loops until its parent
 * exits (PR_SET_PDEATHSIG: also when the parent is killed). Started by bench/lib/awake-cores.mjs,
 * one per CPU, for run.mjs / ab.mjs --awake-cores: on the Firecracker VMs here a halted virtual CPU
 * takes the hypervisor over 1 ms to wake in 0.5-3 % of wake-ups (bench/wakeup.mjs, bench/README
 * "Nineteenth session"). The loop has no PAUSE instruction: a pause loop makes the VM exit to the
 * hypervisor (pause-loop exiting), which would let the virtual CPU be descheduled after all.
 *
 *   spin CPU
 */
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/prctl.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 2) { fprintf(stderr, "usage: spin CPU\n"); return 2; }
  pid_t parent = getppid();
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) { perror("prctl"); return 1; }
  if (getppid() != parent) return 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  CPU_SET(atoi(argv[1]), &set);
  if (sched_setaffinity(0, sizeof set, &set) != 0) { perror("sched_setaffinity"); return 1; }
  struct sched_param param = { .sched_priority = 0 };
  if (sched_setscheduler(0, SCHED_IDLE, &param) != 0) { perror("sched_setscheduler"); return 1; }
  volatile unsigned long turns = 0;
  for (;;) turns++;
}
