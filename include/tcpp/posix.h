/* The POSIX socket calls over a tcpp stack, for C and C++: the calls a network programmer already knows,
 * with Linux's errno for every failure, in blocking and non-blocking modes, safe to call from many threads.
 *
 * A host (struct tcpp_host) is one tcpp stack with its own table of descriptors, numbered from 3 as a
 * fresh Linux process numbers them. Each call takes the host first and otherwise reads as its libc
 * namesake: it returns what that returns, or -1 with errno set.
 *
 *   struct tcpp_host *host = tcpp_host_create("10.0.0.2");
 *   int fd = tcpp_socket(host, AF_INET, SOCK_STREAM, 0);
 *   ... tcpp_bind, tcpp_listen, tcpp_accept4 (which sleeps until a connection is complete) ...
 *
 * Something must drive the stack, from another thread (a blocking call sleeps until its condition holds,
 * and never spins): give it the packets that arrive (tcpp_host_receive), send what it makes
 * (tcpp_host_next_output), and move its clock (tcpp_host_advance; a timeout of poll() is on that clock).
 * The driver may be an event loop over a TUN device, a test shuttling packets between hosts, or a harness
 * such as packetdrill on a virtual clock.
 */
#ifndef TCPP_POSIX_H
#define TCPP_POSIX_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#ifdef __cplusplus
extern "C" {
#endif

#pragma GCC visibility push(default)

struct tcpp_host;

/* A host owning the IPv4 address `address` (dotted quad), its clock at 0; NULL with errno EINVAL for a
 * malformed address. */
struct tcpp_host *tcpp_host_create(const char *address);
void tcpp_host_destroy(struct tcpp_host *host);

/* --- The driver's side --- */
/* One IPv4 packet arrived. */
void tcpp_host_receive(struct tcpp_host *host, const void *packet, size_t length);
/* Copies the next packet the stack sends into `buffer` and returns its length; 0 when none waits; -1 with
 * EMSGSIZE (the packet dropped) when `capacity` is too small. */
ssize_t tcpp_host_next_output(struct tcpp_host *host, void *buffer, size_t capacity);
/* Moves the stack's clock to `now_us` (never back), running the timers due, and wakes the calls whose
 * timeouts have passed. */
void tcpp_host_advance(struct tcpp_host *host, uint64_t now_us);
uint64_t tcpp_host_now(struct tcpp_host *host);
/* When the host next has timer work (the stack's timers, and the timeouts of calls waiting in poll or
 * epoll_wait): 1 and *deadline_us set, or 0 when none runs. */
int tcpp_host_next_deadline(struct tcpp_host *host, uint64_t *deadline_us);
/* The calls asleep in the host that have looked at their condition since it last changed. A driver on a
 * virtual clock that knows how many calls are in progress waits until this says all of them before it
 * moves the clock on, so that a call the last step woke returns at the time that woke it. */
unsigned tcpp_host_sleeping_calls(struct tcpp_host *host);

/* --- The socket calls (AF_INET, SOCK_STREAM only) --- */
int tcpp_socket(struct tcpp_host *host, int domain, int type, int protocol);
int tcpp_bind(struct tcpp_host *host, int fd, const struct sockaddr *address, socklen_t length);
int tcpp_listen(struct tcpp_host *host, int fd, int backlog);
int tcpp_accept4(struct tcpp_host *host, int fd, struct sockaddr *address, socklen_t *length, int flags);
int tcpp_accept(struct tcpp_host *host, int fd, struct sockaddr *address, socklen_t *length);
int tcpp_connect(struct tcpp_host *host, int fd, const struct sockaddr *address, socklen_t length);
ssize_t tcpp_read(struct tcpp_host *host, int fd, void *buffer, size_t count);
ssize_t tcpp_recv(struct tcpp_host *host, int fd, void *buffer, size_t count, int flags);
ssize_t tcpp_readv(struct tcpp_host *host, int fd, const struct iovec *iov, int iovcnt);
ssize_t tcpp_write(struct tcpp_host *host, int fd, const void *buffer, size_t count);
ssize_t tcpp_send(struct tcpp_host *host, int fd, const void *buffer, size_t count, int flags);
ssize_t tcpp_writev(struct tcpp_host *host, int fd, const struct iovec *iov, int iovcnt);
int tcpp_shutdown(struct tcpp_host *host, int fd, int how);
int tcpp_close(struct tcpp_host *host, int fd);
int tcpp_getsockname(struct tcpp_host *host, int fd, struct sockaddr *address, socklen_t *length);
int tcpp_getpeername(struct tcpp_host *host, int fd, struct sockaddr *address, socklen_t *length);
/* F_GETFL and F_SETFL (O_NONBLOCK); F_GETFD and F_SETFD are accepted and change nothing. */
int tcpp_fcntl(struct tcpp_host *host, int fd, int command, int argument);
/* SO_ERROR, SO_REUSEADDR, SO_LINGER, SO_KEEPALIVE, SO_SNDBUF, SO_RCVBUF (both doubled, as Linux does),
 * SO_TYPE; TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT, TCP_USER_TIMEOUT, TCP_MAXSEG; TCP_INFO
 * (get only: struct tcp_info, the fields tcpp has). */
int tcpp_getsockopt(struct tcpp_host *host, int fd, int level, int name, void *value, socklen_t *length);
int tcpp_setsockopt(struct tcpp_host *host, int fd, int level, int name, const void *value, socklen_t length);
/* The timeout in milliseconds is on the host's clock; -1 waits without end. */
int tcpp_poll(struct tcpp_host *host, struct pollfd *fds, nfds_t count, int timeout_ms);

/* recvfrom and recvmsg report no address (a stream's peer is getpeername's); sendto and sendmsg ignore
 * one, as Linux's TCP does. No control messages. */
ssize_t tcpp_recvfrom(struct tcpp_host *host, int fd, void *buffer, size_t count, int flags, struct sockaddr *address,
                      socklen_t *length);
ssize_t tcpp_recvmsg(struct tcpp_host *host, int fd, struct msghdr *message, int flags);
ssize_t tcpp_sendto(struct tcpp_host *host, int fd, const void *buffer, size_t count, int flags,
                    const struct sockaddr *address, socklen_t length);
ssize_t tcpp_sendmsg(struct tcpp_host *host, int fd, const struct msghdr *message, int flags);
/* FIONREAD (SIOCINQ): bytes received and not read; SIOCOUTQ: bytes sent and not acknowledged, and not yet
 * sent; SIOCOUTQNSD: not yet sent. The result is an int at `argument`. */
int tcpp_ioctl(struct tcpp_host *host, int fd, unsigned long request, void *argument);

/* epoll over the host's descriptors: an epoll descriptor is one of the host's. Level-triggered, with
 * EPOLLONESHOT; EPOLLET reports a ready descriptor again (with all that holds) only after something
 * happened to it since the last report: bytes arrived or were acknowledged, its state changed, an error,
 * a connection queued (as Linux reports on each wakeup: more data on a readable socket is an edge). */
int tcpp_epoll_create1(struct tcpp_host *host, int flags);
int tcpp_epoll_ctl(struct tcpp_host *host, int epfd, int op, int fd, struct epoll_event *event);
int tcpp_epoll_wait(struct tcpp_host *host, int epfd, struct epoll_event *events, int max_events, int timeout_ms);

#pragma GCC visibility pop

#ifdef __cplusplus
}
#endif

#endif
