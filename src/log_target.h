/* Will the preload be able to write its log file? Checked before a program
 * starts (`unwedge config`, the launcher), with the rules src/log.c opens it
 * by: an existing regular file, or a new one in an existing directory; never
 * through a symbolic link as the last component. */
#ifndef UW_LOG_TARGET_H
#define UW_LOG_TARGET_H

#include <stdbool.h>
#include <stddef.h>

/* true, with why ("is a directory", "is a symbolic link (not followed)"...),
 * when the preload could not write to path; nothing is created. */
bool uw_log_target_problem(const char *path, char *why, size_t whylen);

#endif
