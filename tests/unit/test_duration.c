#include "duration.h"
#include "check.h"

static uint64_t ms_of(const char *s)
{
	uint64_t ms = 0;
	const char *why;
	return uw_duration_parse(s, &ms, &why) == UW_DURATION_OK ? ms : (uint64_t)-1;
}

static const char *why_of(const char *s)
{
	uint64_t ms;
	const char *why = NULL;
	return uw_duration_parse(s, &ms, &why) == UW_DURATION_BAD ? why : "";
}

static void units(void)
{
	CHECK(ms_of("250ms") == 250);
	CHECK(ms_of("30s") == 30000);
	CHECK(ms_of("2m") == 120000);
	CHECK(ms_of("1h") == 3600000);
	CHECK(ms_of("1MS") == 1);
	CHECK(ms_of("1S") == 1000);
}

static void fractions(void)
{
	CHECK(ms_of("1.5s") == 1500);
	CHECK(ms_of("0.25s") == 250);
	CHECK(ms_of("0.001s") == 1);
	CHECK(ms_of("1.5m") == 90000);
	CHECK(ms_of("2.50s") == 2500);
	CHECK(ms_of("0.0001s") == (uint64_t)-1);
	CHECK(ms_of("1.5ms") == (uint64_t)-1);
}

static void off(void)
{
	uint64_t ms = 7;
	const char *why;
	CHECK(uw_duration_parse("off", &ms, &why) == UW_DURATION_OFF);
	CHECK(uw_duration_parse("OFF", &ms, &why) == UW_DURATION_OFF);
}

static void rejects(void)
{
	CHECK(strstr(why_of("30"), "missing unit") != NULL);
	CHECK(strstr(why_of(""), "empty") != NULL);
	CHECK(strstr(why_of("0s"), "greater than zero") != NULL);
	CHECK(strstr(why_of("5x"), "unknown unit") != NULL);
	CHECK(strstr(why_of("-1s"), "number") != NULL);
	CHECK(strstr(why_of("1.s"), "digits") != NULL);
	CHECK(strstr(why_of(" 1s"), "number") != NULL);
	CHECK(strstr(why_of("1s "), "unknown unit") != NULL);
	CHECK(strstr(why_of("abc"), "number") != NULL);
	CHECK(strstr(why_of("1.2.3s"), "unknown unit") != NULL);
}

static void limits(void)
{
	CHECK(ms_of("2147483647ms") == 2147483647ULL);
	CHECK(strstr(why_of("2147483648ms"), "too large") != NULL);
	CHECK(strstr(why_of("596524h"), "too large") != NULL);
	CHECK(strstr(why_of("99999999999999999999s"), "too large") != NULL);
	CHECK(ms_of("24h") == 86400000);
}

static const char *fmt(uint64_t ms)
{
	static char buf[32];
	uw_duration_format(ms, buf, sizeof buf);
	return buf;
}

/* What `unwedge config` shows: the shortest exact form in the operator's units. */
static void formats(void)
{
	CHECK_STR(fmt(30000), "30s");
	CHECK_STR(fmt(1500), "1.5s");
	CHECK_STR(fmt(1234), "1.234s");
	CHECK_STR(fmt(1050), "1.05s");
	CHECK_STR(fmt(250), "250ms");
	CHECK_STR(fmt(1), "1ms");
	CHECK_STR(fmt(120000), "2m");
	CHECK_STR(fmt(90000), "90s");
	CHECK_STR(fmt(3600000), "1h");
	CHECK_STR(fmt(UW_DURATION_MAX_MS), "2147483.647s");
}

/* Every form it writes parses back to the same milliseconds. */
static void format_round_trips(void)
{
	uint64_t x = 88172645463325252ULL;
	for (int i = 0; i < 200000; i++) {
		uint64_t ms;
		if (i < 100000) {
			ms = (uint64_t)i + 1;
		} else {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			ms = x % UW_DURATION_MAX_MS + 1;
		}
		if (ms_of(fmt(ms)) != ms) {
			printf("  %llu -> %s\n", (unsigned long long)ms, fmt(ms));
			CHECK(0);
			return;
		}
	}
}

int main(void)
{
	RUN(units);
	RUN(fractions);
	RUN(off);
	RUN(rejects);
	RUN(limits);
	RUN(formats);
	RUN(format_round_trips);
	return check_failures;
}
