#include <arpa/inet.h>
#include <sys/un.h>

#include "fmt.h"
#include "check.h"

static const char *fmt6(const char *addr, int port)
{
	static char out[128];
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6, .sin6_port = htons((unsigned short)port)};
	inet_pton(AF_INET6, addr, &in6.sin6_addr);
	struct uw_buf b;
	uw_buf_init(&b, out, sizeof out - 1);
	uw_buf_sockaddr(&b, (struct sockaddr *)&in6, sizeof in6);
	out[b.len] = 0;
	return out;
}

static void ipv6_like_inet_ntop(void)
{
	const char *addrs[] = {"::1",
			       "::",
			       "fe80::1",
			       "2001:db8::ff00:42:8329",
			       "2001:db8:0:1:1:1:1:1",
			       "1:0:0:2:0:0:0:3",
			       "1::",
			       "::ffff:127.0.0.1",
			       "2001:db8:0:0:1:0:0:1"};
	for (size_t i = 0; i < sizeof addrs / sizeof addrs[0]; i++) {
		struct in6_addr a;
		char want[64], ntop[INET6_ADDRSTRLEN];
		inet_pton(AF_INET6, addrs[i], &a);
		inet_ntop(AF_INET6, &a, ntop, sizeof ntop);
		snprintf(want, sizeof want, "[%s]:443", ntop);
		CHECK_STR(fmt6(addrs[i], 443), want);
	}
}

static void ipv4_and_unix(void)
{
	char out[128];
	struct uw_buf b;
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_port = htons(8080)};
	inet_pton(AF_INET, "10.1.2.3", &in.sin_addr);
	uw_buf_init(&b, out, sizeof out - 1);
	uw_buf_sockaddr(&b, (struct sockaddr *)&in, sizeof in);
	out[b.len] = 0;
	CHECK_STR(out, "10.1.2.3:8080");

	struct sockaddr_un un = {.sun_family = AF_UNIX, .sun_path = "/run/x.sock"};
	uw_buf_init(&b, out, sizeof out - 1);
	uw_buf_sockaddr(&b, (struct sockaddr *)&un, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 12));
	out[b.len] = 0;
	CHECK_STR(out, "/run/x.sock");

	struct sockaddr_un ab = {.sun_family = AF_UNIX, .sun_path = "\0abs"};
	uw_buf_init(&b, out, sizeof out - 1);
	uw_buf_sockaddr(&b, (struct sockaddr *)&ab, (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 4));
	out[b.len] = 0;
	CHECK_STR(out, "@abs");

	uw_buf_init(&b, out, sizeof out - 1);
	uw_buf_sockaddr(&b, (struct sockaddr *)&ab, (socklen_t)sizeof(sa_family_t));
	out[b.len] = 0;
	CHECK_STR(out, "unnamed");
}

static void numbers_and_truncation(void)
{
	char out[8];
	struct uw_buf b;
	uw_buf_init(&b, out, sizeof out);
	uw_buf_ms(&b, 2001);
	CHECK(b.len == 6 && memcmp(out, "2.001s", 6) == 0);
	uw_buf_init(&b, out, 4);
	uw_buf_u64(&b, 1234567);
	CHECK(b.len == 4 && memcmp(out, "1234", 4) == 0);
	uw_buf_init(&b, out, sizeof out);
	uw_buf_i64(&b, -42);
	CHECK(b.len == 3 && memcmp(out, "-42", 3) == 0);
}

int main(void)
{
	RUN(ipv6_like_inet_ntop);
	RUN(ipv4_and_unix);
	RUN(numbers_and_truncation);
	return check_failures;
}
