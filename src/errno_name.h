/* The symbolic name of an errno value ("ETIMEDOUT"), as glibc's
 * strerrorname_np gives it, on every libc (musl has no such function). */
#ifndef UW_ERRNO_NAME_H
#define UW_ERRNO_NAME_H

/* NULL for a value the headers do not name. */
const char *uw_errno_name(int e);

#endif
