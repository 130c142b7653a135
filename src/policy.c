#include "policy.h"

#include <errno.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "fdtable.h"
#include "rules.h"
#include "runtime.h"

/* The rule for fd's peer (-1: none, or the peer is not known yet). May update
 * *e with the cached choice. */
static int policy_rule(int fd, uint64_t *e)
{
	if (uw_cfg.rules.n == 0)
		return -1;
	unsigned cached = (unsigned)((*e & UW_E_RULE_MASK) >> UW_E_RULE_SHIFT);
	if (cached)
		return (int)cached - 2;
	struct sockaddr_storage peer, local;
	socklen_t pl = sizeof peer, ll = sizeof local;
	int saved = errno;
	bool have_peer = syscall(SYS_getpeername, fd, (struct sockaddr *)&peer, &pl) == 0;
	bool have_local = syscall(SYS_getsockname, fd, (struct sockaddr *)&local, &ll) == 0;
	errno = saved;
	/* Not connected yet: decide when it is. */
	if (!have_peer)
		return -1;
	int i = uw_rules_match(&uw_cfg.rules, (struct sockaddr *)&peer, pl,
			       have_local ? (struct sockaddr *)&local : NULL, have_local ? ll : 0);
	uint64_t bits = (uint64_t)(i + 2) << UW_E_RULE_SHIFT;
	uw_fd_update_flags(fd, *e, bits, 0);
	*e |= bits;
	return i;
}

uint32_t uw_policy_timeout_ms(int fd, uint64_t *e)
{
	int i = policy_rule(fd, e);
	return i < 0 ? uw_cfg.timeout_ms : uw_cfg.rules.r[i].timeout_ms;
}

bool uw_policy_off(int fd, uint64_t *e)
{
	int i = policy_rule(fd, e);
	return i >= 0 && uw_cfg.rules.r[i].off;
}

uint32_t uw_policy_uto_ms(int fd, uint64_t *e)
{
	if (uw_cfg.observe)
		return 0;
	int i = policy_rule(fd, e);
	if (i < 0)
		return uw_cfg.uto_ms;
	if (uw_cfg.rules.r[i].off)
		return 0;
	return uw_config_uto_for(&uw_cfg, uw_cfg.rules.r[i].timeout_ms);
}
