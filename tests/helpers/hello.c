/* Prints its arguments and the variables the launcher sets: a command for the
 * launcher's tests, built both dynamic and static. */
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
	return argc > 1 ? atoi(argv[1]) : 0;
}
