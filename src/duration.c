#include "duration.h"

#include <stddef.h>
#include <stdio.h>

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int word_is(const char *s, const char *w)
{
	while (*s && *w) {
		char c = *s;
		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if (c != *w)
			return 0;
		s++, w++;
	}
	return *s == 0 && *w == 0;
}

enum uw_duration_result uw_duration_parse(const char *s, uint64_t *ms, const char **why)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}};
	uint64_t whole = 0, frac = 0, frac_scale = 1;
	const char *p = s;

	*why = NULL;
	if (s == NULL || *s == 0) {
		*why = "empty value";
		return UW_DURATION_BAD;
	}
	if (word_is(s, "off"))
		return UW_DURATION_OFF;
	if (!is_digit(*p)) {
		*why = "expected a number with a unit (ms, s, m, h), or off";
		return UW_DURATION_BAD;
	}
	for (; is_digit(*p); p++) {
		whole = whole * 10 + (uint64_t)(*p - '0');
		if (whole > UW_DURATION_MAX_MS) {
			*why = "too large (the maximum is 2147483647ms, about 24 days)";
			return UW_DURATION_BAD;
		}
	}
	if (*p == '.') {
		p++;
		if (!is_digit(*p)) {
			*why = "expected digits after the decimal point";
			return UW_DURATION_BAD;
		}
		for (; is_digit(*p); p++) {
			if (frac_scale >= 1000000000ULL) {
				*why = "too many decimal places";
				return UW_DURATION_BAD;
			}
			frac = frac * 10 + (uint64_t)(*p - '0');
			frac_scale *= 10;
		}
	}
	if (*p == 0) {
		*why = "missing unit: write for example 30s or 250ms";
		return UW_DURATION_BAD;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++) {
		if (!word_is(p, units[i].name))
			continue;
		uint64_t u = units[i].ms;
		if (whole > UW_DURATION_MAX_MS / u) {
			*why = "too large (the maximum is 2147483647ms, about 24 days)";
			return UW_DURATION_BAD;
		}
		uint64_t total = whole * u;
		uint64_t frac_ms = frac * u;
		if (frac_ms % frac_scale != 0) {
			*why = "finer than one millisecond";
			return UW_DURATION_BAD;
		}
		total += frac_ms / frac_scale;
		if (total > UW_DURATION_MAX_MS) {
			*why = "too large (the maximum is 2147483647ms, about 24 days)";
			return UW_DURATION_BAD;
		}
		if (total == 0) {
			*why = "must be greater than zero (use off to disable)";
			return UW_DURATION_BAD;
		}
		*ms = total;
		return UW_DURATION_OK;
	}
	*why = "unknown unit (use ms, s, m or h)";
	return UW_DURATION_BAD;
}

void uw_duration_format(uint64_t ms, char *buf, size_t len)
{
	unsigned long long v = (unsigned long long)ms;
	if (v % 3600000 == 0)
		snprintf(buf, len, "%lluh", v / 3600000);
	else if (v % 60000 == 0)
		snprintf(buf, len, "%llum", v / 60000);
	else if (v % 1000 == 0)
		snprintf(buf, len, "%llus", v / 1000);
	else if (v < 1000)
		snprintf(buf, len, "%llums", v);
	else {
		unsigned frac = (unsigned)(v % 1000), digits = 3;
		for (; frac % 10 == 0; frac /= 10)
			digits--;
		snprintf(buf, len, "%llu.%0*us", v / 1000, (int)digits, frac);
	}
}
