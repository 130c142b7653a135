/* libFuzzer target for the settings parser, the code that reads untrusted
 * environment values inside every process the preload enters. The input is
 * split at NUL bytes into values, fed to every option in turn, and each result
 * is checked for the parser's promises: a value is accepted or rejected with a
 * one-line message naming the input; accepted durations are within range; what
 * uw_config_show writes parses back to the same setting. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "duration.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char buf[4096];
	if (size >= sizeof buf)
		size = sizeof buf - 1;
	memcpy(buf, data, size);
	buf[size] = 0;
	struct uw_config c;
	uw_config_defaults(&c);
	const char *value = buf;
	for (int opt = 0; value <= buf + size; opt = (opt + 1) % UW_OPT_COUNT) {
		char err[600] = "";
		int r = uw_config_set(&c, (enum uw_opt)opt, value, uw_options[opt].env, err, sizeof err);
		if (r != 0 && (strncmp(err, uw_options[opt].env, strlen(uw_options[opt].env)) != 0 ||
			       strchr(err, '\n') != NULL))
			abort(); /* the message must name the variable, on one line */
		if (r == 0 && (opt == UW_OPT_TIMEOUT || opt == UW_OPT_TCP_USER_TIMEOUT)) {
			uint32_t v = opt == UW_OPT_TIMEOUT ? c.timeout_ms : c.uto_ms;
			if (v > UW_DURATION_MAX_MS)
				abort();
		}
		value += strlen(value) + 1;
	}
	uw_config_finish(&c);
	for (int opt = 0; opt < UW_OPT_COUNT; opt++) {
		char shown[UW_CONFIG_SHOW_MAX], err[600];
		struct uw_config back = c;
		uw_config_show(&c, (enum uw_opt)opt, shown, sizeof shown);
		if (uw_config_set(&back, (enum uw_opt)opt, shown, "show", err, sizeof err) != 0)
			abort();
		uw_config_finish(&back);
		if (!uw_config_equal(&back, &c))
			abort();
	}
	uint64_t ms;
	const char *why;
	if (uw_duration_parse(buf, &ms, &why) == UW_DURATION_OK && (ms == 0 || ms > UW_DURATION_MAX_MS))
		abort();
	return 0;
}
