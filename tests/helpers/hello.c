/* Prints its arguments and the variables the launcher sets: a command for the
 * launcher's tests, built both dynamic and static. */
#include <stdio.h>
#include <stdlib.h>

#include "common.h"

int main(int argc, char **argv)
{
	for (int i = 1; i < argc; i++)
		printf("arg=%s\n", argv[i]);
	const char *vars[] = {"LD_PRELOAD",	  "UNWEDGE_TIMEOUT",	"UNWEDGE_TCP_USER_TIMEOUT",
			      "UNWEDGE_DEADLINE", "UNWEDGE_ON_TIMEOUT", "UNWEDGE_LOG"};
	for (size_t i = 0; i < sizeof vars / sizeof vars[0]; i++)
		if (getenv(vars[i]))
			printf("%s=%s\n", vars[i], getenv(vars[i]));
	return argc > 1 ? atoi(argv[1]) : 0;
}
