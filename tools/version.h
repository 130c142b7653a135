/* The release, from the VERSION file: compiled into one object of its own
 * (Makefile), so that a new version rebuilds nothing else. */
#ifndef UW_VERSION_H
#define UW_VERSION_H

extern const char uw_version[];

#endif
