#include "runtime.h"

/* Early (priority 101) so that other libraries' constructors already find
 * unwedge in force. glibc passes the environment to constructors; musl passes
 * nothing (the arguments would be whatever the registers held): there the
 * runtime reads environ. */
#ifdef __GLIBC__
__attribute__((constructor(101))) static void unwedge_init(int argc, char **argv, char **envp)
{
	(void)argc;
	(void)argv;
	uw_runtime_init(envp);
}
#else
__attribute__((constructor(101))) static void unwedge_init(void)
{
	uw_runtime_init(NULL);
}
#endif
