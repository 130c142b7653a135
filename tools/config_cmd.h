/* `unwedge config`: the settings a process started from this environment would
 * run with, read from the UNWEDGE_* variables by the preload's own parser. Exit
 * 2 if any value is invalid or any UNWEDGE_* name unknown: for deployment pipelines. */
#ifndef UW_CONFIG_CMD_H
#define UW_CONFIG_CMD_H

/* argv[0] is "config". */
int uw_config_command(int argc, char **argv);

#endif
