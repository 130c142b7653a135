/* Text from other processes (program names, cgroup paths) made safe to print:
 * in JSON as a valid string, in text as one token a reader cannot split. */
#ifndef UW_TOOLS_ESCAPE_H
#define UW_TOOLS_ESCAPE_H

#include <stdio.h>

/* "..." with quotes, backslashes, control and non-ASCII bytes escaped (\u00HH). */
void uw_json_string(FILE *f, const char *s);

/* s with spaces, '=', '\\', control and non-ASCII bytes written as \xHH. */
void uw_text_token(FILE *f, const char *s);

/* A Prometheus label value: backslash and quote escaped, any other byte
 * outside printable ASCII written as '?', so the file is always valid. */
void uw_prom_label(FILE *f, const char *s);

#endif
