/* A minimal harness: each TEST prints "ok NAME" or "FAIL NAME: why", and the
 * binary exits with the number of failures. tests/run.py counts the lines. */
#ifndef UW_CHECK_H
#define UW_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_failures, check_current_failed;

#define CHECK(cond)                                                                                          \
	do {                                                                                                 \
		if (!(cond)) {                                                                               \
			printf("  %s:%d: CHECK(%s) failed\n", __FILE__, __LINE__, #cond);                    \
			check_current_failed = 1;                                                            \
		}                                                                                            \
	} while (0)

#define CHECK_STR(a, b)                                                                                      \
	do {                                                                                                 \
		const char *a_ = (a), *b_ = (b);                                                             \
		if (strcmp(a_, b_) != 0) {                                                                   \
			printf("  %s:%d: \"%s\" != \"%s\"\n", __FILE__, __LINE__, a_, b_);                   \
			check_current_failed = 1;                                                            \
		}                                                                                            \
	} while (0)

#define RUN(fn)                                                                                              \
	do {                                                                                                 \
		check_current_failed = 0;                                                                    \
		fn();                                                                                        \
		printf("%s %s\n", check_current_failed ? "FAIL" : "ok", #fn);                                \
		check_failures += check_current_failed;                                                      \
	} while (0)

#endif
