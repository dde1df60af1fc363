/*
 * netns-floor-c: the syscalls of a netns operation in a plain C loop, so the benchmark can report
 * the package's cost as a ratio to this floor, measured in the same run. Built by the bench with
 * gcc -O2 (bench/floor.ts). Usage:
 *
 *   netns-floor-c do PATH N       open /proc/thread-self/ns/net, setns(PATH), setns back, close
 *   netns-floor-c named DIR PFX N create + delete a named namespace DIR/PFX<i> as ip netns does it,
 *                                 under the run directory's flock, on the calling thread:
 *                                 lock, open O_CREAT|O_EXCL, open home, unshare(CLONE_NEWNET),
 *                                 open the new namespace, bind-mount it on the file, setns home,
 *                                 close, unlock; then lock, umount2(MNT_DETACH), unlink, unlock.
 *
 * Prints {"op":...,"iterations":N,"nsPerOp":...} on stdout; any failed syscall exits 1.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <time.h>
#include <unistd.h>

#define SELF "/proc/thread-self/ns/net"

static void die(const char *what, const char *path) {
  fprintf(stderr, "netns-floor-c: %s %s: %s\n", what, path, strerror(errno));
  exit(1);
}

static int open_ns(const char *path) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) die("open", path);
  return fd;
}

static void enter(int fd, const char *what) {
  if (setns(fd, CLONE_NEWNET) != 0) die("setns", what);
}

static void do_once(int target) {
  int home = open_ns(SELF);
  enter(target, "target");
  enter(home, "home");
  close(home);
}

static int lock_dir(const char *dir) {
  int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die("open", dir);
  if (flock(fd, LOCK_EX) != 0) die("flock", dir);
  return fd;
}

static void named_once(const char *dir, const char *file) {
  int lock = lock_dir(dir);
  int mp = open(file, O_RDONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0);
  if (mp < 0) die("open", file);
  close(mp);
  int home = open_ns(SELF);
  if (unshare(CLONE_NEWNET) != 0) die("unshare", "CLONE_NEWNET");
  int ns = open_ns(SELF);
  if (mount(SELF, file, "none", MS_BIND, NULL) != 0) die("mount", file);
  enter(home, "home");
  close(home);
  close(ns);
  close(lock);

  lock = lock_dir(dir);
  if (umount2(file, MNT_DETACH) != 0) die("umount2", file);
  if (unlink(file) != 0) die("unlink", file);
  close(lock);
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "do") == 0) {
    long n = atol(argv[3]);
    int target = open_ns(argv[2]);
    double t0 = now_ns();
    for (long i = 0; i < n; i++) do_once(target);
    printf("{\"op\":\"do\",\"iterations\":%ld,\"nsPerOp\":%.1f}\n", n, (now_ns() - t0) / (n > 0 ? n : 1));
    return 0;
  }
  if (argc == 5 && strcmp(argv[1], "named") == 0) {
    long n = atol(argv[4]);
    char file[4096];
    double t0 = now_ns();
    for (long i = 0; i < n; i++) {
      snprintf(file, sizeof file, "%s/%s%ld", argv[2], argv[3], i);
      named_once(argv[2], file);
    }
    printf("{\"op\":\"named\",\"iterations\":%ld,\"nsPerOp\":%.1f}\n", n, (now_ns() - t0) / (n > 0 ? n : 1));
    return 0;
  }
  fprintf(stderr, "usage: netns-floor-c do PATH N | netns-floor-c named DIR PREFIX N\n");
  return 2;
}
