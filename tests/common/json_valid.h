/* A strict JSON validator for tests (RFC 8259: one value, nothing after it but
 * whitespace). Enough to say "this line parses", nothing more. */
#ifndef UW_JSON_VALID_H
#define UW_JSON_VALID_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct jv {
	const char *s;
	size_t i, n;
	int depth;
};

static bool jv_value(struct jv *j);

static void jv_ws(struct jv *j)
{
	while (j->i < j->n && strchr(" \t\r\n", j->s[j->i]) && j->s[j->i])
		j->i++;
}

static bool jv_lit(struct jv *j, const char *w)
{
	size_t l = strlen(w);
	if (j->n - j->i < l || memcmp(j->s + j->i, w, l) != 0)
		return false;
	j->i += l;
	return true;
}

static bool jv_hex4(struct jv *j)
{
	for (int k = 0; k < 4; k++, j->i++)
		if (j->i >= j->n || !strchr("0123456789abcdefABCDEF", j->s[j->i]) || !j->s[j->i])
			return false;
	return true;
}

/* One UTF-8 sequence at s[i]: decoded, then held to the shortest form and to
 * the ranges of scalar values. Returns its length, 0 if invalid. */
static size_t jv_utf8(const unsigned char *s, size_t avail)
{
	size_t len = s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	if (len == 0 || len > avail || s[0] > 0xf7)
		return 0;
	unsigned long cp = s[0] & (0x7f >> len);
	for (size_t k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	static const unsigned long min[] = {0, 0, 0x80, 0x800, 0x10000};
	if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return len;
}

static bool jv_string(struct jv *j)
{
	if (j->i >= j->n || j->s[j->i] != '"')
		return false;
	for (j->i++; j->i < j->n; j->i++) {
		unsigned char c = (unsigned char)j->s[j->i];
		if (c == '"') {
			j->i++;
			return true;
		}
		if (c < 0x20)
			return false;
		if (c >= 0x80) {
			size_t l = jv_utf8((const unsigned char *)j->s + j->i, j->n - j->i);
			if (l == 0)
				return false;
			j->i += l - 1;
			continue;
		}
		if (c != '\\')
			continue;
		if (++j->i >= j->n)
			return false;
		char e = j->s[j->i];
		if (e == 'u') {
			j->i++;
			if (!jv_hex4(j))
				return false;
			j->i--;
		} else if (!e || !strchr("\"\\/bfnrt", e)) {
			return false;
		}
	}
	return false;
}

static bool jv_number(struct jv *j)
{
	size_t start = j->i;
	if (j->i < j->n && j->s[j->i] == '-')
		j->i++;
	if (j->i < j->n && j->s[j->i] == '0')
		j->i++;
	else if (j->i < j->n && j->s[j->i] >= '1' && j->s[j->i] <= '9')
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
	else
		return false;
	if (j->i < j->n && j->s[j->i] == '.') {
		size_t d = ++j->i;
		while (j->i < j->n && j->s[j->i] >= '0' && j->s[j->i] <= '9')
			j->i++;
		if (j->i == d)
			return false;
	}
	return j->i > start;
}

/* Members or elements up to the closing character; strings as keys in objects. */
static bool jv_container(struct jv *j, char close, bool object)
{
	if (++j->depth > 64)
		return false;
	j->i++;
	jv_ws(j);
	if (j->i < j->n && j->s[j->i] == close) {
		j->i++, j->depth--;
		return true;
	}
	for (;;) {
		jv_ws(j);
		if (object) {
			if (!jv_string(j))
				return false;
			jv_ws(j);
			if (j->i >= j->n || j->s[j->i++] != ':')
				return false;
		}
		if (!jv_value(j))
			return false;
		jv_ws(j);
		if (j->i >= j->n)
			return false;
		char c = j->s[j->i++];
		if (c == close) {
			j->depth--;
			return true;
		}
		if (c != ',')
			return false;
	}
}

static bool jv_value(struct jv *j)
{
	jv_ws(j);
	if (j->i >= j->n)
		return false;
	switch (j->s[j->i]) {
	case '{':
		return jv_container(j, '}', true);
	case '[':
		return jv_container(j, ']', false);
	case '"':
		return jv_string(j);
	case 't':
		return jv_lit(j, "true");
	case 'f':
		return jv_lit(j, "false");
	case 'n':
		return jv_lit(j, "null");
	default:
		return jv_number(j);
	}
}

/* Is s[0..n) one JSON value (surrounding whitespace allowed)? */
static inline bool json_valid(const char *s, size_t n)
{
	struct jv j = {s, 0, n, 0};
	if (!jv_value(&j))
		return false;
	jv_ws(&j);
	return j.i == n;
}

#endif
