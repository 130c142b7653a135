/* `unwedge stat`: prints the live statistics of processes (see tools/stat.c). */
#ifndef UW_TOOLS_STAT_H
#define UW_TOOLS_STAT_H

/* argv[0] is "stat". Returns the exit status: 0, 1 (no statistics), 2 (bad input). */
int uw_stat_command(int argc, char **argv);

#endif
