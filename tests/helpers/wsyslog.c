/* syslog() under test. Built plain (-O0) and with -O2 -D_FORTIFY_SOURCE=2
 * (where syslog becomes __syslog_chk).
 *
 *   wsyslog flood COUNT [INTERVAL_MS]   COUNT messages, then "END-OF-TEST";
 *                                       prints the slowest call and which
 *                                       calls took over 100 ms
 *   wsyslog cases                       a fixed sequence exercising openlog
 *                                       options, facilities, the mask, %m,
 *                                       long and bad-priority messages */
#include <syslog.h>

#include "common.h"

static void cases(void)
{
	syslog(LOG_INFO, "before openlog: default tag");
	openlog("wsyslog-a", LOG_PID, LOG_DAEMON);
	syslog(LOG_NOTICE, "with pid and daemon facility %d", 42);
	syslog(LOG_ERR | LOG_LOCAL3, "explicit facility");
	errno = ENOENT;
	syslog(LOG_WARNING, "errno says: %m");
	char big[3000];
	memset(big, 'b', sizeof big - 1);
	big[sizeof big - 1] = 0;
	syslog(LOG_INFO, "long %s end", big);
	syslog(LOG_INFO, "ends with a newline\n");
	syslog(LOG_INFO | 0x10000, "bad priority bits");
	int old = setlogmask(LOG_UPTO(LOG_WARNING));
	syslog(LOG_INFO, "masked out: must not appear");
	syslog(LOG_ERR, "not masked");
	setlogmask(old);
	openlog(NULL, LOG_PERROR, 0);
	syslog(LOG_INFO, "ident kept, facility 0 keeps daemon, copy on stderr");
	closelog();
	syslog(LOG_INFO, "after closelog: default tag again");
	openlog("", 0, LOG_USER);
	syslog(LOG_INFO, "empty ident");
	openlog("wsyslog-b", LOG_NDELAY | LOG_PID, LOG_LOCAL7);
	syslog(LOG_DEBUG, "ndelay");
	closelog();
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return 2;
	printf("{\"pid\": %d}\n", (int)getpid());
	fflush(stdout);
	if (!strcmp(argv[1], "cases")) {
		cases();
		syslog(LOG_INFO, "END-OF-TEST");
		return 0;
	}
	if (strcmp(argv[1], "flood") != 0 || argc < 3)
		return 2;
	int count = atoi(argv[2]), interval = argc > 3 ? atoi(argv[3]) : 0;
	openlog("wsyslog", LOG_PID, LOG_DAEMON);
	double t0 = now_ms(), max = 0;
	char slow[4096] = "";
	size_t sl = 0;
	for (int i = 0; i < count; i++) {
		double s = now_ms();
		syslog(LOG_INFO, "message %d", i);
		double d = now_ms() - s;
		if (d > max)
			max = d;
		if (d > 100 && sl + 32 < sizeof slow)
			sl += (size_t)snprintf(slow + sl, sizeof slow - sl, "%s[%d, %.1f]", sl ? ", " : "", i,
					       d);
		if (interval)
			usleep((useconds_t)interval * 1000);
	}
	syslog(LOG_INFO, "END-OF-TEST");
	printf("{\"calls\": %d, \"max_ms\": %.1f, \"elapsed_ms\": %.1f, \"slow\": [%s]}\n", count, max,
	       now_ms() - t0, slow);
	return 0;
}
