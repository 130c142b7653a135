#include "tcp_uto.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtable.h"
#include "policy.h"
#include "runtime.h"
#include "sockinfo.h"

static int get_uto(int fd, unsigned *v)
{
	socklen_t len = sizeof *v;
	return (int)syscall(SYS_getsockopt, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, v, &len);
}

static int set_uto(int fd, unsigned v)
{
	return (int)syscall(SYS_setsockopt, fd, IPPROTO_TCP, TCP_USER_TIMEOUT, &v, sizeof v);
}

static int get_int(int fd, int level, int name, int *v)
{
	socklen_t len = sizeof *v;
	return (int)syscall(SYS_getsockopt, fd, level, name, v, &len);
}

static void set_int(int fd, int level, int name, int v)
{
	syscall(SYS_setsockopt, fd, level, name, &v, sizeof v);
}

/* UNWEDGE_KEEPALIVE, on every TCP connection, blocking or not: it changes no
 * write's behaviour, only finds dead peers of idle connections. Keepalive
 * already on means the application chose its own parameters. */
static void keepalive(int fd, uint64_t e)
{
	int on = 0;
	if (!uw_cfg.keep_cnt || uw_cfg.observe || (e & UW_E_KA_APP) ||
	    get_int(fd, SOL_SOCKET, SO_KEEPALIVE, &on) != 0 || on)
		return;
	set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, uw_cfg.keep_idle_s);
	set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, uw_cfg.keep_intvl_s);
	set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, uw_cfg.keep_cnt);
	set_int(fd, SOL_SOCKET, SO_KEEPALIVE, 1);
}

void uw_uto_decide(int fd, uint64_t e, int blocking)
{
	if (uw_e_kind(e) != UW_KIND_TCP || (e & UW_E_UTO_DONE))
		return;
	int saved = errno;
	uint64_t set = UW_E_UTO_DONE;
	if (uw_policy_off(fd, &e))
		goto out;
	keepalive(fd, e);
	uint32_t uto = uw_policy_uto_ms(fd, &e);
	if (uto == 0 || (e & UW_E_UTO_APP))
		goto out;
	if (blocking < 0) {
		long fl = syscall(SYS_fcntl, fd, F_GETFL);
		if (fl < 0)
			goto out;
		blocking = !(fl & O_NONBLOCK);
	}
	if (!blocking && !uw_cfg.uto_all_sockets)
		goto out;
	unsigned cur = 0;
	if (get_uto(fd, &cur) != 0)
		goto out;
	if (cur != 0 && !(e & UW_E_UTO_OURS)) {
		/* Set by the application, or inherited from its listening socket. */
		set |= UW_E_UTO_APP;
		goto out;
	}
	if (set_uto(fd, uto) == 0)
		set |= UW_E_UTO_OURS;
out:
	uw_fd_update_flags(fd, e, set, 0);
	errno = saved;
}

void uw_uto_blocking_changed(int fd, bool nonblocking)
{
	uint64_t e = uw_fd_load(fd);
	if (uw_e_kind(e) != UW_KIND_TCP || (e & UW_E_UTO_APP) || !uw_is_active())
		return;
	if (!nonblocking) {
		/* Decide again at the next write, when it can block. */
		uw_fd_update_flags(fd, e, 0, UW_E_UTO_DONE);
		return;
	}
	if (uw_cfg.uto_all_sockets)
		return;
	int saved = errno;
	if (e & UW_E_UTO_OURS)
		set_uto(fd, 0);
	uw_fd_update_flags(fd, e, UW_E_UTO_DONE, UW_E_UTO_OURS);
	errno = saved;
}

void uw_keepalive_app_set(int fd)
{
	uint64_t e = uw_fd_lookup(fd);
	if (uw_e_kind(e) == UW_KIND_TCP)
		uw_fd_update_flags(fd, e, UW_E_KA_APP, 0);
}

void uw_uto_app_set(int fd)
{
	uint64_t e = uw_fd_lookup(fd);
	if (uw_e_kind(e) == UW_KIND_TCP)
		uw_fd_update_flags(fd, e, UW_E_UTO_DONE | UW_E_UTO_APP, UW_E_UTO_OURS);
}
