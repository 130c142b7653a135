#include "runtime.h"

/* Early (priority 101) so that other libraries' constructors already find
 * unwedge in force; glibc passes the environment to constructors. */
__attribute__((constructor(101))) static void unwedge_init(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	uw_runtime_init(envp);
}
