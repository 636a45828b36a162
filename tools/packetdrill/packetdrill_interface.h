#pragma once
// packetdrill's shared-object interface, as its so_testing.h lays it out: the loader calls
// packetdrill_interface_init(), which fills the struct with the calls a script makes, each taking the
// struct's userdata first. Written from the documented layout; shared by the adapter and its test.

#include <poll.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

extern "C" {

// packetdrill's shared-object interface (its so_testing.h), written from the documented layout: the
// user's data, then functions that each take it first.
struct packetdrill_interface {
    void* userdata;
    void (*free)(void* userdata);
    int (*socket)(void* userdata, int domain, int type, int protocol);
    int (*bind)(void* userdata, int sockfd, const struct sockaddr* addr, socklen_t addrlen);
    int (*listen)(void* userdata, int sockfd, int backlog);
    int (*accept)(void* userdata, int sockfd, struct sockaddr* addr, socklen_t* addrlen);
    int (*connect)(void* userdata, int sockfd, const struct sockaddr* addr, socklen_t addrlen);
    ssize_t (*read)(void* userdata, int fd, void* buf, size_t count);
    ssize_t (*readv)(void* userdata, int fd, const struct iovec* iov, int iovcnt);
    ssize_t (*recv)(void* userdata, int sockfd, void* buf, size_t len, int flags);
    ssize_t (*recvfrom)(void* userdata, int sockfd, void* buf, size_t len, int flags, struct sockaddr* src_addr,
                        socklen_t* addrlen);
    ssize_t (*recvmsg)(void* userdata, int sockfd, struct msghdr* msg, int flags);
    ssize_t (*write)(void* userdata, int fd, const void* buf, size_t count);
    ssize_t (*writev)(void* userdata, int fd, const struct iovec* iov, int iovcnt);
    ssize_t (*send)(void* userdata, int sockfd, const void* buf, size_t len, int flags);
    ssize_t (*sendto)(void* userdata, int sockfd, const void* buf, size_t len, int flags,
                      const struct sockaddr* dest_addr, socklen_t addrlen);
    ssize_t (*sendmsg)(void* userdata, int sockfd, const struct msghdr* msg, int flags);
    int (*fcntl)(void* userdata, int fd, int cmd, ...);
    int (*ioctl)(void* userdata, int fd, unsigned long request, ...);
    int (*close)(void* userdata, int fd);
    int (*shutdown)(void* userdata, int sockfd, int how);
    int (*getsockopt)(void* userdata, int sockfd, int level, int optname, void* optval, socklen_t* optlen);
    int (*setsockopt)(void* userdata, int sockfd, int level, int optname, const void* optval, socklen_t optlen);
    int (*poll)(void* userdata, struct pollfd* fds, nfds_t nfds, int timeout);
    int (*netdev_send)(void* userdata, const void* buf, size_t count);
    int (*netdev_receive)(void* userdata, void* buf, size_t* count, long long* time_usecs);
    int (*usleep)(void* userdata, useconds_t usec);
    int (*gettimeofday)(void* userdata, struct timeval* tv, struct timezone* tz);
    int (*epoll_create)(void* userdata, int size);
    int (*epoll_ctl)(void* userdata, int epfd, int op, int fd, struct epoll_event* event);
    int (*epoll_wait)(void* userdata, int epfd, struct epoll_event* events, int maxevents, int timeout);
    int (*pipe)(void* userdata, int pipefd[2]);
    int (*splice)(void* userdata, int fd_in, loff_t* off_in, int fd_out, loff_t* off_out, size_t len,
                  unsigned int flags);
};

// What the shared object exports: fills `ifc` for one script; `flags` is --so_flags, or NULL.
__attribute__((visibility("default"))) void packetdrill_interface_init(const char* flags,
                                                                      struct packetdrill_interface* ifc);

}  // extern "C"

static_assert(sizeof(packetdrill_interface) == 33 * sizeof(void*));
static_assert(offsetof(packetdrill_interface, netdev_send) == 24 * sizeof(void*));
static_assert(offsetof(packetdrill_interface, splice) == 32 * sizeof(void*));
