/* Can LD_PRELOAD reach this program at all? Read from its ELF file. */
#ifndef UW_BINARY_CHECK_H
#define UW_BINARY_CHECK_H

#include <stddef.h>

/* Writes into why a reason the preload will not take effect in the program at
 * path (static, Go, setuid...) and returns 1; returns 0 if none is known. */
int uw_binary_unreachable(const char *path, char *why, size_t whylen);

#endif
