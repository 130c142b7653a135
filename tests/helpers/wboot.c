/* Bootstrap cases for the tests: what a program's start-up and late loading
 * do to the preload.
 *
 *   wboot symbols          which objects provide malloc and write
 *   wboot early            checks the pairs libwearly's constructor wrote to
 *                          (fds 200..203), then wedges each one: writes until
 *                          a call fails, the reading ends never read
 *   wboot dlopen LIB ADDR  dlopen(LIB, RTLD_NOW | RTLD_LOCAL) after start-up
 *                          and calls its wlate_wedge(ADDR)
 *
 * Every mode prints one JSON line. */
#include <dlfcn.h>
#include <fcntl.h>
#include <netinet/tcp.h>

#include "common.h"

static const char *provider(const char *sym)
{
	Dl_info di;
	void *p = dlsym(RTLD_DEFAULT, sym);
	if (!p || !dladdr(p, &di) || !di.dli_fname)
		return "?";
	return di.dli_fname;
}

/* -1 stands for a short count without an error. */
static const char *errname(int e)
{
	return e == -1 ? "short" : errno_name(e);
}

/* The 8 KiB the constructor wrote, complete and in order? */
static int early_bytes_ok(int fd)
{
	unsigned char buf[8192];
	size_t got = 0;
	while (got < sizeof buf) {
		ssize_t r = recv(fd, buf + got, sizeof buf - got, 0);
		if (r <= 0)
			return 0;
		got += (size_t)r;
	}
	for (size_t i = 0; i < sizeof buf; i++)
		if (buf[i] != pattern_byte(i))
			return 0;
	return 1;
}

/* Writes 256 KiB chunks until a call fails or comes back short. */
static void wedge(int fd, const char *name)
{
	static unsigned char buf[256 << 10];
	unsigned long long total = 0;
	double ms = 0;
	int err = 0;
	for (int i = 0; i < 4096; i++) {
		double s = now_ms();
		errno = 0;
		ssize_t r = write(fd, buf, sizeof buf);
		ms = now_ms() - s;
		if (r > 0)
			total += (unsigned long long)r;
		if (r < (ssize_t)sizeof buf) {
			err = r < 0 ? errno : -1;
			break;
		}
	}
	/* After a short count (bytes moved before the deadline): the next call. */
	double after_ms = 0;
	int after = 0;
	if (err == -1) {
		double s = now_ms();
		errno = 0;
		after = write(fd, buf, 100) < 0 ? errno : 0;
		after_ms = now_ms() - s;
	}
	printf("\"%s_errno\": \"%s\", \"%s_ms\": %.1f, \"%s_bytes\": %llu, \"%s_after_errno\": \"%s\", "
	       "\"%s_after_ms\": %.1f, ",
	       name, errname(err), name, ms, name, total, name, errname(after), name, after_ms);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: wboot symbols | early | dlopen LIB ADDR\n");
		return 2;
	}
	printf("{\"malloc_from\": \"%s\", \"write_from\": \"%s\", ", provider("malloc"), provider("write"));
	if (!strcmp(argv[1], "symbols")) {
		void *p = malloc(1 << 20);
		free(p);
	} else if (!strcmp(argv[1], "early")) {
		int present = fcntl(200, F_GETFD) >= 0 && fcntl(201, F_GETFD) >= 0 &&
			      fcntl(202, F_GETFD) >= 0 && fcntl(203, F_GETFD) >= 0;
		printf("\"present\": %s, ", present ? "true" : "false");
		if (present) {
			printf("\"unix_early_ok\": %s, \"tcp_early_ok\": %s, ",
			       early_bytes_ok(201) ? "true" : "false",
			       early_bytes_ok(203) ? "true" : "false");
			fflush(stdout);
			wedge(200, "unix");
			wedge(202, "tcp");
			unsigned uto = 0;
			socklen_t len = sizeof uto;
			getsockopt(202, IPPROTO_TCP, TCP_USER_TIMEOUT, &uto, &len);
			printf("\"tcp_uto\": %u, ", uto);
		}
	} else if (!strcmp(argv[1], "dlopen") && argc == 4) {
		/* Some start-up work first, so the load is really late. */
		usleep(100000);
		void *h = dlopen(argv[2], RTLD_NOW | RTLD_LOCAL);
		if (!h) {
			printf("\"dlopen\": \"failed\"}\n");
			fprintf(stderr, "wboot: %s\n", dlerror());
			return 1;
		}
		int (*fn)(const char *, double *, unsigned long long *) =
			(int (*)(const char *, double *, unsigned long long *))dlsym(h, "wlate_wedge");
		double ms = 0;
		unsigned long long bytes = 0;
		int err = fn ? fn(argv[3], &ms, &bytes) : ENOSYS;
		printf("\"late_errno\": \"%s\", \"late_ms\": %.1f, \"late_bytes\": %llu, ", errname(err), ms,
		       bytes);
	} else {
		fprintf(stderr, "wboot: unknown mode %s\n", argv[1]);
		return 2;
	}
	printf("\"done\": true}\n");
	return 0;
}
