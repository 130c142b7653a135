#include "fmt.h"

#include <netinet/in.h>
#include <sys/un.h>
#include <time.h>

void uw_buf_init(struct uw_buf *b, char *storage, size_t cap)
{
	b->p = storage;
	b->len = 0;
	b->cap = cap;
}

void uw_buf_mem(struct uw_buf *b, const char *s, size_t n)
{
	for (size_t i = 0; i < n && b->len < b->cap; i++)
		b->p[b->len++] = s[i];
}

void uw_buf_str(struct uw_buf *b, const char *s)
{
	while (*s && b->len < b->cap)
		b->p[b->len++] = *s++;
}

void uw_buf_u64(struct uw_buf *b, uint64_t v)
{
	char tmp[20];
	size_t n = 0;
	do {
		tmp[n++] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	while (n && b->len < b->cap)
		b->p[b->len++] = tmp[--n];
}

void uw_buf_i64(struct uw_buf *b, int64_t v)
{
	if (v < 0) {
		uw_buf_str(b, "-");
		uw_buf_u64(b, (uint64_t)0 - (uint64_t)v);
	} else {
		uw_buf_u64(b, (uint64_t)v);
	}
}

void uw_buf_ms(struct uw_buf *b, uint64_t ms)
{
	uw_buf_u64(b, ms / 1000);
	char frac[5] = {'.', (char)('0' + ms % 1000 / 100), (char)('0' + ms % 100 / 10),
			(char)('0' + ms % 10), 's'};
	uw_buf_mem(b, frac, sizeof frac);
}

static void hex16(struct uw_buf *b, unsigned v)
{
	static const char digits[] = "0123456789abcdef";
	char tmp[4];
	int n = 0;
	do {
		tmp[n++] = digits[v & 15];
		v >>= 4;
	} while (v);
	while (n)
		uw_buf_mem(b, &tmp[--n], 1);
}

static void ipv6(struct uw_buf *b, const unsigned char *a)
{
	unsigned g[8];
	for (int i = 0; i < 8; i++)
		g[i] = (unsigned)a[2 * i] << 8 | a[2 * i + 1];
	/* IPv4-mapped addresses read best as dotted quads (RFC 5952, section 5). */
	if (!g[0] && !g[1] && !g[2] && !g[3] && !g[4] && g[5] == 0xffff) {
		uw_buf_str(b, "::ffff:");
		for (int i = 12; i < 16; i++) {
			uw_buf_u64(b, a[i]);
			if (i < 15)
				uw_buf_str(b, ".");
		}
		return;
	}
	/* The longest run of two or more zero groups becomes "::" (RFC 5952). */
	int best = -1, best_len = 1;
	for (int i = 0; i < 8;) {
		int j = i;
		while (j < 8 && g[j] == 0)
			j++;
		if (j - i > best_len)
			best = i, best_len = j - i;
		i = j > i ? j : i + 1;
	}
	for (int i = 0; i < 8; i++) {
		if (i == best) {
			uw_buf_str(b, "::");
			i += best_len - 1;
			continue;
		}
		if (i > 0 && i != best + best_len)
			uw_buf_str(b, ":");
		hex16(b, g[i]);
	}
}

void uw_buf_sockaddr(struct uw_buf *b, const struct sockaddr *sa, socklen_t len)
{
	if (len < (socklen_t)sizeof(sa_family_t)) {
		uw_buf_str(b, "unnamed");
		return;
	}
	if (sa->sa_family == AF_INET && len >= (socklen_t)sizeof(struct sockaddr_in)) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		const unsigned char *a = (const unsigned char *)&in->sin_addr;
		for (int i = 0; i < 4; i++) {
			uw_buf_u64(b, a[i]);
			uw_buf_str(b, i < 3 ? "." : ":");
		}
		uw_buf_u64(b, ntohs(in->sin_port));
	} else if (sa->sa_family == AF_INET6 && len >= (socklen_t)sizeof(struct sockaddr_in6)) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		uw_buf_str(b, "[");
		ipv6(b, in6->sin6_addr.s6_addr);
		uw_buf_str(b, "]:");
		uw_buf_u64(b, ntohs(in6->sin6_port));
	} else if (sa->sa_family == AF_UNIX) {
		const struct sockaddr_un *un = (const struct sockaddr_un *)sa;
		size_t n = (size_t)len - offsetof(struct sockaddr_un, sun_path);
		if (n == 0) {
			uw_buf_str(b, "unnamed");
		} else if (un->sun_path[0] == 0) {
			uw_buf_str(b, "@");
			for (size_t i = 1; i < n; i++)
				uw_buf_mem(b,
					   un->sun_path[i] >= 32 && un->sun_path[i] < 127 ? &un->sun_path[i]
											  : "?",
					   1);
		} else {
			/* A client chooses its path: newlines or spaces in it must not
			 * forge or split log lines. */
			char path[sizeof un->sun_path + 1];
			size_t i = 0;
			for (; i < n && i < sizeof un->sun_path && un->sun_path[i]; i++)
				path[i] = un->sun_path[i];
			path[i] = 0;
			uw_buf_printable(b, path, i);
		}
	} else {
		uw_buf_str(b, "family-");
		uw_buf_u64(b, sa->sa_family);
	}
}

void uw_buf_printable(struct uw_buf *b, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	for (size_t i = 0; i < max && s[i]; i++) {
		unsigned char ch = (unsigned char)s[i];
		if (ch > 0x20 && ch < 0x7f && ch != '\\') {
			uw_buf_mem(b, (const char *)&ch, 1);
		} else {
			char esc[4] = {'\\', 'x', hex[ch >> 4], hex[ch & 15]};
			uw_buf_mem(b, esc, 4);
		}
	}
}

/* The length of the valid UTF-8 sequence at s (at most avail bytes), or 0. */
static size_t utf8_len(const unsigned char *s, size_t avail)
{
	unsigned char c = s[0];
	size_t n = c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3 : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
	if (n == 0 || n > avail)
		return 0;
	for (size_t i = 1; i < n; i++)
		if ((s[i] & 0xc0) != 0x80)
			return 0;
	/* No overlong forms, no surrogates, nothing past U+10FFFF. */
	if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] > 0x9f) || (c == 0xf0 && s[1] < 0x90) ||
	    (c == 0xf4 && s[1] > 0x8f))
		return 0;
	return n;
}

void uw_buf_json_str(struct uw_buf *b, const char *s, size_t max)
{
	static const char hex[] = "0123456789abcdef";
	size_t len = 0;
	while (len < max && s[len])
		len++;
	uw_buf_str(b, "\"");
	for (size_t i = 0; i < len; i++) {
		unsigned char ch = (unsigned char)s[i];
		size_t u = ch >= 0x80 ? utf8_len((const unsigned char *)s + i, len - i) : 0;
		if (ch == '"' || ch == '\\') {
			char esc[2] = {'\\', (char)ch};
			uw_buf_mem(b, esc, 2);
		} else if (ch >= 0x20 && ch < 0x7f) {
			uw_buf_mem(b, (const char *)&s[i], 1);
		} else if (u) {
			uw_buf_mem(b, &s[i], u);
			i += u - 1;
		} else {
			char esc[6] = {'\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15]};
			uw_buf_mem(b, esc, 6);
		}
	}
	uw_buf_str(b, "\"");
}

static void two(struct uw_buf *b, unsigned v)
{
	char d[2] = {(char)('0' + v / 10 % 10), (char)('0' + v % 10)};
	uw_buf_mem(b, d, 2);
}

void uw_buf_utc_now(struct uw_buf *b)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	uw_buf_utc(b, &ts);
}

void uw_buf_utc(struct uw_buf *b, const struct timespec *t)
{
	struct timespec ts = *t;
	if (ts.tv_nsec < 0 || ts.tv_nsec >= 1000000000)
		ts.tv_nsec = 0; /* never a digit out of range */
	int64_t secs = ts.tv_sec, days = secs / 86400, rem = secs % 86400;
	if (rem < 0)
		rem += 86400, days--;
	/* Days since 1970-01-01 to a civil date, in 400-year eras of 146097 days
	 * counted from 0000-03-01 (so the leap day ends each year). */
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	unsigned day = (unsigned)(doy - (153 * mp + 2) / 5 + 1);
	unsigned month = (unsigned)(mp < 10 ? mp + 3 : mp - 9);
	int64_t year = yoe + era * 400 + (month <= 2);
	uw_buf_i64(b, year);
	uw_buf_str(b, "-");
	two(b, month);
	uw_buf_str(b, "-");
	two(b, day);
	uw_buf_str(b, "T");
	two(b, (unsigned)(rem / 3600));
	uw_buf_str(b, ":");
	two(b, (unsigned)(rem / 60 % 60));
	uw_buf_str(b, ":");
	two(b, (unsigned)(rem % 60));
	unsigned ms = (unsigned)(ts.tv_nsec / 1000000);
	char frac[5] = {'.', (char)('0' + ms / 100), (char)('0' + ms / 10 % 10), (char)('0' + ms % 10), 'Z'};
	uw_buf_mem(b, frac, 5);
}
