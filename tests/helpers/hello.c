/* Prints its arguments and the variables the launcher sets: a command for the
 * launcher's tests, built both dynamic and static (and for musl). With
 * HELLO_MAPS=1 in its environment, also "mapped=PATH" for each libunwedge
 * file its loader mapped. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printf("arg=%s\n", argv[i]);
	extern char **environ;
	for (char **e = environ; *e; e++)
		if (!strncmp(*e, "LD_PRELOAD=", 11) || !strncmp(*e, "UNWEDGE_", 8))
			printf("%s\n", *e);
	const char *maps = getenv("HELLO_MAPS");
	FILE *f = maps && !strcmp(maps, "1") ? fopen("/proc/self/maps", "r") : NULL;
	char line[1024], last[1024] = "";
	while (f && fgets(line, sizeof line, f)) {
		char *path = strchr(line, '/');
		if (path && strstr(path, "libunwedge") && strcmp(path, last) != 0) {
			printf("mapped=%s", path);
			snprintf(last, sizeof last, "%s", path);
		}
	}
	if (f)
		fclose(f);
	return argc > 1 ? atoi(argv[1]) : 0;
}
