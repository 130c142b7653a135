#include "errno_name.h"

#include <errno.h>
#include <stddef.h>

/* errno_names.h is generated from the compiler's own <errno.h> (Makefile):
 * one UW_ERRNO(NAME) per name defined as a number, so the aliases
 * (EWOULDBLOCK, EDEADLOCK, ENOTSUP) give way to the names glibc reports. */
/* Names in place, not pointers: no relocation for the loader to apply at every
 * start (a name too long for the array does not compile). */
static const struct {
	int value;
	char name[16];
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
