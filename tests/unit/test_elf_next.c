/* The GNU-hash lookup that binds the real functions (src/elf_next.c) finds
 * exactly what dlsym(RTLD_NEXT) finds, for every symbol of the real table and
 * for others of every kind: functions with several versions (fcntl), data
 * (environ), IFUNCs (left to dlsym), and names that exist nowhere. */
#include <dlfcn.h>

#include "check.h"
#include "elf_next.h"
#include "real.h"

static struct uw_elf_objects objs;

/* Same answer as dlsym, or none (then dlsym answers: IFUNCs). */
static int agrees(const char *name, int may_defer)
{
	void *mine = uw_elf_next(&objs, name), *theirs = dlsym(RTLD_NEXT, name);
	if (mine == theirs || (may_defer && mine == NULL))
		return 1;
	printf("  %s: %p, dlsym %p\n", name, mine, theirs);
	return 0;
}

static void finds_the_objects_after_us(void)
{
	CHECK(uw_elf_next_open(&objs) >= 1); /* libc at least */
}

static void every_real_symbol_as_dlsym(void)
{
#define ONE(name, ...) CHECK(agrees(#name, 0));
	UW_REAL_SYMBOLS(ONE, ONE)
#undef ONE
}

static void versions_data_and_missing(void)
{
	CHECK(agrees("fcntl", 0));
	CHECK(agrees("fcntl64", 0));
	CHECK(agrees("environ", 0));
	CHECK(agrees("stat", 0));
	CHECK(agrees("no_such_symbol_anywhere", 0));
	CHECK(uw_elf_next(&objs, "no_such_symbol_anywhere") == NULL);
	CHECK(uw_elf_next(&objs, "write") != NULL);
}

static void ifuncs_left_to_dlsym(void)
{
	CHECK(agrees("memcpy", 1));
	CHECK(agrees("strlen", 1));
	CHECK(agrees("gettimeofday", 1));
}

int main(void)
{
	RUN(finds_the_objects_after_us);
	RUN(every_real_symbol_as_dlsym);
	RUN(versions_data_and_missing);
	RUN(ifuncs_left_to_dlsym);
	return check_failures;
}
