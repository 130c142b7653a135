#include "libc.h"
#include "duration.h"

#include <stddef.h>
#include <stdio.h>

#define TOO_LARGE "too large (the maximum is 2147483647ms, about 24 days)"

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

int uw_word_is_n(const char *s, size_t n, const char *w)
{
	size_t i = 0;
	for (; i < n && w[i]; i++)
		if (lower(s[i]) != w[i])
			return 0;
	return i == n && w[i] == 0;
}

int uw_word_is(const char *s, const char *w)
{
	size_t n = 0;
	while (s[n])
		n++;
	return uw_word_is_n(s, n, w);
}

/* A number: whole digits, then optionally '.' and up to 9 digits, read at *p. */
struct number {
	uint64_t whole, frac, frac_scale;
};

static const char *read_number(const char **p, struct number *n)
{
	n->whole = n->frac = 0;
	n->frac_scale = 1;
	for (; is_digit(**p); (*p)++) {
		n->whole = n->whole * 10 + (uint64_t)(**p - '0');
		if (n->whole > UW_DURATION_MAX_MS)
			return TOO_LARGE;
	}
	if (**p != '.')
		return NULL;
	(*p)++;
	if (!is_digit(**p))
		return "no digits after the decimal point";
	for (; is_digit(**p); (*p)++) {
		if (n->frac_scale >= 1000000000ULL)
			return "too many decimal places";
		n->frac = n->frac * 10 + (uint64_t)(**p - '0');
		n->frac_scale *= 10;
	}
	return NULL;
}

/* The number times the unit u (milliseconds per unit), checked. */
static const char *scale(const struct number *n, uint64_t u, uint64_t *ms)
{
	if (n->whole > UW_DURATION_MAX_MS / u)
		return TOO_LARGE;
	uint64_t frac_ms = n->frac * u;
	if (frac_ms % n->frac_scale != 0)
		return "finer than one millisecond";
	uint64_t total = n->whole * u + frac_ms / n->frac_scale;
	if (total > UW_DURATION_MAX_MS)
		return TOO_LARGE;
	if (total == 0)
		return "must be greater than zero (use off to disable)";
	*ms = total;
	return NULL;
}

static const char *parse(const char *s, uint64_t *ms)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	struct number n;
	const char *p = s;

	if (!is_digit(*p))
		return "not a number with a unit (ms, s, m, h)";
	const char *why = read_number(&p, &n);
	if (why)
		return why;
	if (*p == 0)
		return "missing unit: write for example 30s or 250ms";
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (uw_word_is(p, units[i].name))
			return scale(&n, units[i].ms, ms);
	return "unknown unit (use ms, s, m or h)";
}

enum uw_duration_result uw_duration_parse(const char *s, uint64_t *ms, const char **why)
{
	*why = NULL;
	if (s == NULL || *s == 0) {
		*why = "empty value";
		return UW_DURATION_BAD;
	}
	if (uw_word_is(s, "off"))
		return UW_DURATION_OFF;
	*why = parse(s, ms);
	return *why ? UW_DURATION_BAD : UW_DURATION_OK;
}

void uw_duration_format(uint64_t ms, char *buf, size_t len)
{
	unsigned long long v = (unsigned long long)ms;
	if (v % 3600000 == 0)
		UW_LIBC(snprintf)(buf, len, "%lluh", v / 3600000);
	else if (v % 60000 == 0)
		UW_LIBC(snprintf)(buf, len, "%llum", v / 60000);
	else if (v % 1000 == 0)
		UW_LIBC(snprintf)(buf, len, "%llus", v / 1000);
	else if (v < 1000)
		UW_LIBC(snprintf)(buf, len, "%llums", v);
	else {
		unsigned frac = (unsigned)(v % 1000), digits = 3;
		for (; frac % 10 == 0; frac /= 10)
			digits--;
		UW_LIBC(snprintf)(buf, len, "%llu.%0*us", v / 1000, (int)digits, frac);
	}
}
