/* Can this file be put in LD_PRELOAD and loaded into a program of this
 * machine? A path the loader splits (a space, a colon) or a file that is not a
 * shared library of our kind is ignored by the loader with one line of its
 * own, and the program runs unprotected: the launcher refuses instead. */
#ifndef UW_PRELOAD_PATH_H
#define UW_PRELOAD_PATH_H

#include <stddef.h>

/* 0 when path is usable; -1 with why ("is a directory", ...) when not. */
int uw_preload_unusable(const char *path, char *why, size_t whylen);

#endif
