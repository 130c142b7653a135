/* Loaded late with dlopen(RTLD_LOCAL) by wboot: connects to ADDR and writes the
 * pattern in 1 MiB chunks until a call fails or 64 MiB went. Its calls to
 * connect and write are bound when it is loaded, after unwedge's constructor. */
#include "common.h"

int wlate_wedge(const char *addr, double *fail_ms, unsigned long long *bytes)
{
	struct addr a;
	if (parse_addr(addr, &a) != 0)
		return EINVAL;
	int fd = socket(a.family, a.type, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&a.ss, a.len) != 0)
		return errno;
	static unsigned char buf[1 << 20];
	unsigned long long total = 0;
	int err = 0;
	while (total < (64ULL << 20)) {
		for (size_t i = 0; i < sizeof buf; i++)
			buf[i] = pattern_byte(total + i);
		double s = now_ms();
		errno = 0;
		ssize_t r = write(fd, buf, sizeof buf);
		*fail_ms = now_ms() - s;
		if (r > 0)
			total += (unsigned long long)r;
		if (r < (ssize_t)sizeof buf) {
			err = r < 0 ? errno : 0;
			break;
		}
	}
	/* A short count: the deadline came after some bytes moved; the next call says why. */
	if (err == 0 && total < (64ULL << 20)) {
		errno = 0;
		err = write(fd, buf, 100) < 0 ? errno : -1;
	}
	*bytes = total;
	close(fd);
	return err;
}
