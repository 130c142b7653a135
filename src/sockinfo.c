#include "sockinfo.h"

#include <errno.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "real.h"
#include "sockstate.h"

static int getopt_int(int fd, int level, int name, int *v)
{
	socklen_t len = sizeof *v;
	return (int)syscall(SYS_getsockopt, fd, level, name, v, &len);
}

static enum uw_kind kind_from_args(int domain, int type, int protocol)
{
	type &= ~(SOCK_NONBLOCK | SOCK_CLOEXEC);
	if ((domain == AF_INET || domain == AF_INET6) && type == SOCK_STREAM &&
	    (protocol == 0 || protocol == IPPROTO_TCP))
		return UW_KIND_TCP;
	if (domain == AF_UNIX && type == SOCK_STREAM)
		return UW_KIND_UNIX_STREAM;
	if (domain == AF_UNIX && type == SOCK_SEQPACKET)
		return UW_KIND_UNIX_SEQPACKET;
	return UW_KIND_PASS;
}

uint32_t uw_socket_inode(int fd)
{
	struct stat st;
	if (syscall(SYS_fstat, fd, &st) != 0 || !S_ISSOCK(st.st_mode))
		return 0;
	return (uint32_t)st.st_ino;
}

/* Looks at fd and returns the fields of its table word (kind, inode, and the
 * timed-out mark if the socket already timed out through another fd). Returns 0
 * when the fd is not open: nothing worth caching. Costs one system call for a
 * non-socket, three for a socket, once per fd. */
static uint64_t classify(int fd)
{
	int saved = errno, type, domain, protocol = 0;
	uint64_t fields = 0;

	/* Raw system calls: our own getsockopt wrapper has nothing to add here. */
	if (getopt_int(fd, SOL_SOCKET, SO_TYPE, &type) != 0) {
		if (errno == ENOTSOCK)
			fields = UW_KIND_PASS;
		errno = saved;
		return fields;
	}
	if (getopt_int(fd, SOL_SOCKET, SO_DOMAIN, &domain) != 0 ||
	    ((domain == AF_INET || domain == AF_INET6) &&
	     getopt_int(fd, SOL_SOCKET, SO_PROTOCOL, &protocol) != 0)) {
		errno = saved;
		return UW_KIND_PASS;
	}
	enum uw_kind kind = kind_from_args(domain, type, protocol);
	fields = kind;
	if (kind != UW_KIND_PASS) {
		uint32_t ino = uw_socket_inode(fd);
		fields |= (uint64_t)ino << UW_E_INODE_SHIFT;
		if (uw_dead_inode_has(ino))
			fields |= UW_E_TIMED_OUT;
	}
	errno = saved;
	return fields;
}

uint64_t uw_fd_lookup(int fd)
{
	uint64_t e = uw_fd_load(fd);
	if (uw_e_kind(e) != UW_KIND_UNKNOWN)
		return e;
	unsigned epoch = uw_fd_range_epoch();
	uint64_t fields = classify(fd);
	if (fields == 0)
		return 0;
	if (epoch != uw_fd_range_epoch())
		return fields | (e & UW_E_GEN_MASK);
	/* If a new object moved in meanwhile the swap fails: what we saw serves this
	 * call only, and its stale generation keeps later flag updates off the word. */
	uw_fd_cas(fd, e, fields);
	return fields | (e & UW_E_GEN_MASK);
}
