#include "go_info.h"

#include <stdio.h>
#include <string.h>

#define MAGIC	  "\xff Go buildinf:"
#define MAGIC_LEN 14
#define HEADER	  32
/* Go 1.18+: the strings follow the header, each with a varint length. */
#define FLAG_INLINE 2

static const unsigned char *find_header(const struct uw_elf *e)
{
	size_t off, size;
	if (uw_elf_section(e, ".go.buildinfo", &off, &size) == 0 && size >= HEADER &&
	    memcmp(e->m + off, MAGIC, MAGIC_LEN) == 0)
		return e->m + off;
	/* No section table: the header is 16-byte aligned in a data segment. */
	const unsigned char *p = e->m, *end = e->m + e->size;
	while (p + HEADER <= end && (p = memmem(p, (size_t)(end - p), MAGIC, MAGIC_LEN)) != NULL) {
		if ((size_t)(p - e->m) % 16 == 0 && p + HEADER <= end)
			return p;
		p++;
	}
	return NULL;
}

/* One varint-length-prefixed string at *p: its bytes in *s and *len; advances *p past it. */
static int take_string(const unsigned char **p, const unsigned char *end, const unsigned char **s,
		       size_t *len)
{
	uint64_t n = 0;
	for (int shift = 0; shift < 64; shift += 7) {
		if (*p >= end)
			return -1;
		unsigned char b = *(*p)++;
		n |= (uint64_t)(b & 0x7f) << shift;
		if (!(b & 0x80)) {
			if (n > (uint64_t)(end - *p))
				return -1;
			*s = *p;
			*len = (size_t)n;
			*p += n;
			return 0;
		}
	}
	return -1;
}

static void copy_field(char *out, size_t outlen, const unsigned char *s, size_t len)
{
	size_t o = 0;
	for (size_t i = 0; i < len && o + 1 < outlen; i++)
		out[o++] = s[i] >= 0x20 && s[i] < 0x7f ? (char)s[i] : '?';
	out[o] = 0;
}

/* modinfo lines: "path\tP", "mod\tM\tV\tSUM", "build\tCGO_ENABLED=1", tab-separated. */
static void read_modinfo(struct uw_go_info *g, const unsigned char *s, size_t len)
{
	const unsigned char *end = s + len;
	while (s < end) {
		const unsigned char *nl = memchr(s, '\n', (size_t)(end - s));
		const unsigned char *le = nl ? nl : end;
		const unsigned char *tab = memchr(s, '\t', (size_t)(le - s));
		if (tab) {
			size_t klen = (size_t)(tab - s);
			const unsigned char *v = tab + 1;
			const unsigned char *vend = memchr(v, '\t', (size_t)(le - v));
			if (!vend)
				vend = le;
			if (klen == 4 && !memcmp(s, "path", 4))
				copy_field(g->path, sizeof g->path, v, (size_t)(vend - v));
			else if (klen == 3 && !memcmp(s, "mod", 3))
				copy_field(g->module, sizeof g->module, v, (size_t)(vend - v));
			else if (klen == 5 && !memcmp(s, "build", 5) && le - v == 13 &&
				 !memcmp(v, "CGO_ENABLED=", 12))
				g->cgo = v[12] == '1';
		}
		s = le + 1;
	}
}

void uw_go_info_read(const struct uw_elf *e, struct uw_go_info *g)
{
	size_t off, size;
	memset(g, 0, sizeof *g);
	g->cgo = -1;
	if (!e->parsed)
		return;
	const unsigned char *h = find_header(e);
	g->is_go = h != NULL || uw_elf_section(e, ".note.go.buildid", &off, &size) == 0;
	if (!h || !(h[15] & FLAG_INLINE))
		return;
	const unsigned char *p = h + HEADER, *end = e->m + e->size, *s;
	size_t len;
	if (take_string(&p, end, &s, &len) != 0)
		return;
	copy_field(g->version, sizeof g->version, s, len);
	g->decoded = 1;
	/* The module information sits between two 16-byte sentinels. */
	if (take_string(&p, end, &s, &len) == 0 && len >= 33)
		read_modinfo(g, s + 16, len - 32);
}
