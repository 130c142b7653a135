#include "report.h"

#include <stdarg.h>
#include <string.h>

/* Names and paths come from files and other processes: no control characters
 * may reach the terminal, and JSON output must stay valid UTF-8: bytes outside
 * printable ASCII become ?. */
static void clean(char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
			*s = '?';
}

void uw_report_add(struct uw_report *r, const char *key, bool blocks, const char *fmt, ...)
{
	if (r->n >= UW_FINDINGS_MAX)
		return;
	struct uw_finding *f = &r->f[r->n++];
	va_list ap;
	snprintf(f->key, sizeof f->key, "%s", key);
	va_start(ap, fmt);
	vsnprintf(f->text, sizeof f->text, fmt, ap);
	va_end(ap);
	clean(f->text);
	f->blocks = blocks;
	r->blockers += blocks;
}

const char *uw_report_first_blocker(const struct uw_report *r)
{
	for (int i = 0; i < r->n; i++)
		if (r->f[i].blocks)
			return r->f[i].text;
	return NULL;
}

static void json_string(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

void uw_report_print(FILE *f, const struct uw_report *r, const char *target, bool protectable,
		     const char *verdict, bool json)
{
	if (!json) {
		for (int i = 0; i < r->n; i++)
			fprintf(f, "%s: %s\n", r->f[i].key, r->f[i].text);
		fprintf(f, "verdict: %s\n", verdict);
		return;
	}
	char t[4096];
	snprintf(t, sizeof t, "%s", target);
	clean(t);
	fprintf(f, "{\"target\": ");
	json_string(f, t);
	fprintf(f, ", \"protectable\": %s, \"verdict\": ", protectable ? "true" : "false");
	json_string(f, verdict);
	fprintf(f, ", \"findings\": [");
	for (int i = 0; i < r->n; i++) {
		fprintf(f, "%s{\"key\": ", i ? ", " : "");
		json_string(f, r->f[i].key);
		fprintf(f, ", \"blocks\": %s, \"text\": ", r->f[i].blocks ? "true" : "false");
		json_string(f, r->f[i].text);
		fputc('}', f);
	}
	fprintf(f, "]}\n");
}
