/* The findings of `unwedge check`: one line each ("key: text"), and whether it
 * keeps the preload out; printed as text or as JSON. */
#ifndef UW_REPORT_H
#define UW_REPORT_H

#include <stdbool.h>
#include <stdio.h>

#define UW_FINDINGS_MAX 64

struct uw_finding {
	char key[16];
	bool blocks; /* the preload cannot protect the program because of this */
	char text[640];
};

struct uw_report {
	struct uw_finding f[UW_FINDINGS_MAX];
	int n;
	int blockers;
};

/* Adds a finding; the text is made one printable line. */
void uw_report_add(struct uw_report *r, const char *key, bool blocks, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The first blocking finding's text, or NULL. */
const char *uw_report_first_blocker(const struct uw_report *r);

/* Prints the findings and then the verdict ("verdict: ..."), as lines or as one JSON object. */
void uw_report_print(FILE *f, const struct uw_report *r, const char *target, bool protectable,
		     const char *verdict, bool json);

#endif
