// Experiment only (BENCH_NODELAY=1): LD_PRELOADed into op-pod to set TCP_NODELAY on every
// accepted socket, to show what `HttpServer::tcp_nodelay(true)` would change. Not a fix.
#define _GNU_SOURCE
#include <dlfcn.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
static int set(int fd) { if (fd >= 0) { int one = 1; setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); } return fd; }
int accept4(int s, struct sockaddr *a, socklen_t *l, int f) {
  static int (*real)(int, struct sockaddr *, socklen_t *, int);
  if (!real) real = dlsym(RTLD_NEXT, "accept4");
  return set(real(s, a, l, f));
}
int accept(int s, struct sockaddr *a, socklen_t *l) {
  static int (*real)(int, struct sockaddr *, socklen_t *);
  if (!real) real = dlsym(RTLD_NEXT, "accept");
  return set(real(s, a, l));
}
