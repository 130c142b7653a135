#include "errno_name.h"

#include <errno.h>
#include <stddef.h>

/* errno_names.h is generated from the compiler's own <errno.h> (Makefile):
 * one UW_ERRNO(NAME) per name defined as a number, so the aliases
 * (EWOULDBLOCK, EDEADLOCK, ENOTSUP) give way to the names glibc reports. */
static const struct {
	int value;
	const char *name;
} names[] = {
#define UW_ERRNO(n) {n, #n},
#include "errno_names.h"
#undef UW_ERRNO
};

const char *uw_errno_name(int e)
{
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (names[i].value == e)
			return names[i].name;
	return NULL;
}
