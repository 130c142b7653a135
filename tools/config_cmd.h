/* `unwedge config`: the settings a process started from this environment would
 * run with, read from the UNWEDGE_* variables by the preload's own parser (with
 * the launcher's flags, when they come before `config`). Exit 2 if any value is
 * invalid, any UNWEDGE_* name unknown or the log file unusable: for deployment
 * pipelines. --env prints lines that sh's eval and systemd's EnvironmentFile=
 * take; --json one object. */
#ifndef UW_CONFIG_CMD_H
#define UW_CONFIG_CMD_H

/* argv[0] is "config". */
int uw_config_command(int argc, char **argv);

#endif
