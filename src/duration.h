/* Durations as operators write them: "250ms", "1.5s", "2m", "1h", or "off". */
#ifndef UW_DURATION_H
#define UW_DURATION_H

#include <stddef.h>
#include <stdint.h>

enum uw_duration_result {
	UW_DURATION_OK = 0,
	UW_DURATION_OFF = 1,
	UW_DURATION_BAD = -1,
};

/* The longest duration accepted: TCP_USER_TIMEOUT is an int of milliseconds. */
#define UW_DURATION_MAX_MS 2147483647ULL

/* The one rule for letter case, for every value of every setting: the words
 * unwedge defines (off, on, json, observe, units, rule selectors...) are read
 * in any case; what the user names (paths, program names) is taken exactly.
 * Is s the word w (given in lower case), ignoring the case of s? */
int uw_word_is(const char *s, const char *w);

/* Like uw_word_is for the n bytes at s. */
int uw_word_is_n(const char *s, size_t n, const char *w);

/* Parses s into whole milliseconds. On UW_DURATION_BAD, *why says what is wrong
 * (a static string). A unit is mandatory: a bare "30" is ambiguous between the
 * seconds of this tool and the milliseconds of TCP_USER_TIMEOUT. */
enum uw_duration_result uw_duration_parse(const char *s, uint64_t *ms, const char **why);

/* Writes ms (> 0) the way an operator would: "2h", "5m", "30s", "1.5s", "250ms".
 * uw_duration_parse gives ms back. */
void uw_duration_format(uint64_t ms, char *buf, size_t len);

#endif
