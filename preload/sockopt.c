/* The application's own socket options win: a TCP_USER_TIMEOUT or keepalive
 * option it sets is never touched again, and its SO_SNDTIMEO reads back as it set it even while our
 * backstop is in the kernel. */
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "backstop.h"
#include "tcp_uto.h"
#include "route.h"

UW_EXPORT int setsockopt(int fd, int level, int name, const void *val, socklen_t len)
{
	int r;
	if (level == SOL_SOCKET && uw_backstop_setsockopt(fd, name, val, len, &r))
		return r;
	r = (int)uw_real.setsockopt(fd, level, name, val, len);
	if (r != 0 || !uw_is_active())
		return r;
	int saved = errno;
	if (level == IPPROTO_TCP && name == TCP_USER_TIMEOUT)
		uw_uto_app_set(fd);
	else if ((level == SOL_SOCKET && name == SO_KEEPALIVE) ||
		 (level == IPPROTO_TCP &&
		  (name == TCP_KEEPIDLE || name == TCP_KEEPINTVL || name == TCP_KEEPCNT)))
		uw_keepalive_app_set(fd);
	errno = saved;
	return r;
}

UW_EXPORT int getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	int r;
	if (level == SOL_SOCKET && uw_backstop_getsockopt(fd, name, val, len, &r))
		return r;
	return (int)uw_real.getsockopt(fd, level, name, val, len);
}
