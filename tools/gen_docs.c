/* Writes the option sections of README.md and unwedge(1) from the two tables
 * (src/config.c's uw_options[], tools/launch_options.c's uw_launch_options[]),
 * between the marker lines in each file:
 *
 *   gen_docs --update FILE...   rewrite the generated sections
 *   gen_docs --check FILE...    exit 1, naming each file whose section is out of date
 *
 * A file ending in .md gets a Markdown table, one ending in .bash-completion the
 * word lists of the bash completion, one ending in .7 a summary of the variables,
 * any other roff option entries. */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/config.h"
#include "launch_options.h"

#define BEGIN_MD   "<!-- generated from the settings table by tools/gen_docs.c (make docs): do not edit -->"
#define END_MD	   "<!-- end of the generated section -->"
#define BEGIN_ROFF ".\\\" generated from the settings table by tools/gen_docs.c (make docs): do not edit"
#define END_ROFF   ".\\\" end of the generated section"
#define BEGIN_SH   "# generated from the settings table by tools/gen_docs.c (make docs): do not edit"
#define END_SH	   "# end of the generated section"

struct out {
	char *buf;
	size_t len, cap;
};

static void put_n(struct out *o, const char *s, size_t n)
{
	if (o->len + n + 1 > o->cap) {
		o->cap = (o->len + n + 1) * 2;
		o->buf = realloc(o->buf, o->cap);
		if (!o->buf)
			exit(2);
	}
	memcpy(o->buf + o->len, s, n);
	o->len += n;
	o->buf[o->len] = 0;
}

static void put(struct out *o, const char *s)
{
	put_n(o, s, strlen(s));
}

/* roff text: a backslash doubled, a hyphen as \- (a minus: what a user types). */
static void roff(struct out *o, const char *s)
{
	for (; *s; s++)
		put(o, *s == '\\' ? "\\\\" : *s == '-' ? "\\-" : (char[2]){*s, 0});
}

/* A table cell: a '|' would end it. */
static void cell(struct out *o, const char *before, const char *s, const char *after)
{
	put(o, before);
	for (; *s; s++)
		put(o, *s == '|' ? "\\|" : (char[2]){*s, 0});
	put(o, after);
}

static void markdown(struct out *o)
{
	put(o, "| variable | flag | values | default | what it does |\n|---|---|---|---|---|\n");
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const struct uw_option *u = &uw_options[i];
		bool word = !strchr(u->fallback, ' ');
		cell(o, "| `", u->env, "` ");
		cell(o, "| `", u->flag, " ");
		cell(o, "", u->metavar, "` ");
		cell(o, "| ", u->values, " ");
		cell(o, word ? "| `" : "| ", u->fallback, word ? "` " : " ");
		cell(o, "| ", u->help, " |\n");
	}
	put(o, "\nThe launcher's own options:\n\n");
	for (int j = 0; j < UW_L_COUNT; j++) {
		const struct uw_launch_option *l = &uw_launch_options[j];
		char line[1200];
		snprintf(line, sizeof line, "- `%s%s%s`: %s.\n", l->flag, l->metavar ? " " : "",
			 l->metavar ? l->metavar : "", l->help);
		put(o, line);
	}
}

static void roff_entry(struct out *o, const char *flag, const char *metavar)
{
	put(o, ".TP\n\\fB");
	roff(o, flag);
	put(o, "\\fR");
	if (metavar) {
		put(o, " \\fI");
		roff(o, metavar);
		put(o, "\\fR");
	}
	put(o, "\n");
}

static void man(struct out *o)
{
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const struct uw_option *u = &uw_options[i];
		roff_entry(o, u->flag, u->metavar);
		put(o, "Sets\n.B ");
		put(o, u->env);
		put(o, "\n(default\n.BR \"");
		roff(o, u->fallback);
		put(o, "\" ):\n");
		roff(o, u->help);
		put(o, ".\nValues: ");
		roff(o, u->values);
		put(o, ".\n");
	}
	for (int j = 0; j < UW_L_COUNT; j++) {
		const struct uw_launch_option *l = &uw_launch_options[j];
		if (l->cgroup)
			continue;
		roff_entry(o, l->flag, l->metavar);
		char help[600];
		snprintf(help, sizeof help, "%c%s.\n", l->help[0] - 'a' + 'A', l->help + 1);
		roff(o, help);
	}
}

/* The flags that take a value, those that do not, and the words each value can be. */
static void completion(struct out *o)
{
	put(o, "_unwedge_valued=\"");
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		put(o, i ? " " : "");
		put(o, uw_options[i].flag);
	}
	for (int j = 0; j < UW_L_COUNT; j++)
		if (uw_launch_options[j].metavar) {
			put(o, " ");
			put(o, uw_launch_options[j].flag);
		}
	put(o, "\"\n_unwedge_switches=\"-h");
	for (int j = 0; j < UW_L_COUNT; j++)
		if (!uw_launch_options[j].metavar) {
			put(o, " ");
			put(o, uw_launch_options[j].flag);
		}
	put(o, "\"\ndeclare -A _unwedge_values=(");
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const struct uw_option *u = &uw_options[i];
		put(o, i ? " [" : "[");
		put(o, u->flag);
		put(o, "]=\"");
		for (int w = 0; w < 4 && u->kind == UW_KIND_CHOICE && u->words[w]; w++) {
			put(o, w ? " " : "");
			put(o, u->words[w]);
		}
		put(o, u->kind == UW_KIND_DURATION ? "off 250ms 1s 5s 30s"
		       : u->kind == UW_KIND_LOG	   ? "stderr syslog off"
						   : "");
		put(o, u->kind == UW_KIND_RATE || u->kind == UW_KIND_KEEPALIVE ? "off" : "");
		put(o, "\"");
	}
	put(o, ")\n");
}

/* unwedge(7): one line a variable; the prose entries follow by hand. */
static void man7(struct out *o)
{
	put(o, ".PP\n.nf\n");
	for (int i = 0; i < UW_OPT_COUNT; i++) {
		const struct uw_option *u = &uw_options[i];
		char line[400];
		snprintf(line, sizeof line, "%s=%s  (%s; default %s)\n", u->env, u->metavar, u->flag,
			 u->fallback);
		roff(o, line);
	}
	put(o, ".fi\n");
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	struct out o = {0};
	char chunk[4096];
	size_t n;
	put(&o, "");
	while ((n = fread(chunk, 1, sizeof chunk - 1, f)) > 0) {
		chunk[n] = 0;
		put(&o, chunk);
	}
	fclose(f);
	return o.buf;
}

/* The file with its generated section made anew, or NULL without markers. */
static char *regenerate(const char *path, const char *text)
{
	size_t n = strlen(path);
	bool md = n > 3 && !strcmp(path + n - 3, ".md");
	bool sh = n > 16 && !strcmp(path + n - 16, ".bash-completion");
	bool seven = n > 2 && !strcmp(path + n - 2, ".7");
	const char *begin = md	 ? BEGIN_MD
			    : sh ? BEGIN_SH
				 : BEGIN_ROFF,
		   *end = md   ? END_MD
			  : sh ? END_SH
			       : END_ROFF;
	const char *b = strstr(text, begin), *e = b ? strstr(b, end) : NULL;
	if (!b || !e)
		return NULL;
	struct out o = {0};
	put_n(&o, text, (size_t)(b - text) + strlen(begin));
	put(&o, "\n");
	if (md)
		markdown(&o);
	else if (sh)
		completion(&o);
	else if (seven)
		man7(&o);
	else
		man(&o);
	put(&o, e);
	return o.buf;
}

int main(int argc, char **argv)
{
	bool update = argc > 1 && !strcmp(argv[1], "--update");
	if (argc < 3 || (!update && strcmp(argv[1], "--check") != 0)) {
		fprintf(stderr, "usage: gen_docs --update|--check FILE...\n");
		return 2;
	}
	int stale = 0;
	for (int i = 2; i < argc; i++) {
		char *text = slurp(argv[i]), *fresh = text ? regenerate(argv[i], text) : NULL;
		if (!fresh) {
			fprintf(stderr, "gen_docs: %s: cannot read it, or it has no generated section\n",
				argv[i]);
			return 2;
		}
		if (strcmp(text, fresh) != 0) {
			FILE *f = update ? fopen(argv[i], "w") : NULL;
			if (f) {
				fputs(fresh, f);
				fclose(f);
			} else {
				fprintf(stderr,
					"gen_docs: %s: the generated section is out of date (make docs)\n",
					argv[i]);
				stale++;
			}
		}
		free(text);
		free(fresh);
	}
	return stale ? 1 : 0;
}
