#include "../../src/duration.h"
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

int main(void)
{
	RUN(units);
	RUN(fractions);
	RUN(off);
	RUN(rejects);
	RUN(limits);
	return check_failures;
}
