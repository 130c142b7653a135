/* Writes to a socket through stdio until a call fails, and prints one JSON
 * line: which call failed, how long it took, errno, ferror, and what the next
 * call does. Built twice: -O0, and -O2 -D_FORTIFY_SOURCE=2 (where fprintf
 * becomes __fprintf_chk and putc_unlocked an inline that calls __overflow).
 *
 *   wstdio ADDR MODE [--total N] [--sndtimeo-ms N]
 *
 * MODE: fprintf-fflush, fwrite, fputs, fputc, putc-unlocked, printf-stdout,
 * puts-stdout, dprintf, fclose (a 64 MiB stream buffer flushed by fclose). */
#include <fcntl.h>
#include <signal.h>
#include <sys/time.h>

#include "common.h"

static char chunk[65537];

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: wstdio ADDR MODE [--total N]\n");
		return 2;
	}
	const char *mode = argv[2];
	long long total = 256LL << 20;
	int sndtimeo_ms = 0;
	for (int i = 3; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--total"))
			total = atoll(argv[i + 1]);
		else if (!strcmp(argv[i], "--sndtimeo-ms"))
			sndtimeo_ms = atoi(argv[i + 1]);
	}
	int fd = connect_addr(argv[1]);
	if (sndtimeo_ms) {
		struct timeval tv = {sndtimeo_ms / 1000, (sndtimeo_ms % 1000) * 1000};
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	}
	memset(chunk, 'x', sizeof chunk - 1);
	FILE *fp;
	int out_fd = 1;
	if (!strcmp(mode, "printf-stdout") || !strcmp(mode, "puts-stdout")) {
		/* inetd style: the socket is the standard output. */
		fflush(stdout);
		out_fd = dup(1);
		dup2(fd, 1);
		fp = stdout;
	} else {
		fp = fdopen(fd, "w");
	}
	if (!fp)
		die("fdopen");

	long long moved = 0;
	int calls = 0, failed = 0, err = 0;
	double t0 = now_ms(), call_ms = 0;
	const char *call = mode;
	if (!strcmp(mode, "fclose")) {
		static char big[64 << 20];
		setvbuf(fp, big, _IOFBF, sizeof big);
		memset(chunk, 'y', sizeof chunk - 1);
		while (moved + 65536 <= (long long)sizeof big - 65536) {
			fwrite(chunk, 1, 65536, fp);
			moved += 65536;
		}
		double s = now_ms();
		errno = 0;
		int r = fclose(fp);
		err = errno;
		call_ms = now_ms() - s;
		failed = r != 0;
		dprintf(out_fd,
			"{\"calls\": 1, \"call\": \"fclose\", \"failed\": %d, \"errno\": \"%s\", "
			"\"short_ms\": %.1f, "
			"\"elapsed_ms\": %.1f}\n",
			failed, errno_name(err), call_ms, now_ms() - t0);
		return 0;
	}
	while (moved < total && !failed) {
		double s = now_ms();
		errno = 0;
		calls++;
		if (!strcmp(mode, "fprintf-fflush")) {
			call = "fprintf";
			failed = fprintf(fp, "%s", chunk) < 0;
			if (!failed) {
				call = "fflush";
				failed = fflush(fp) != 0;
			}
		} else if (!strcmp(mode, "fwrite")) {
			failed = fwrite(chunk, 1, 65536, fp) != 65536;
		} else if (!strcmp(mode, "fputs")) {
			failed = fputs(chunk, fp) == EOF;
		} else if (!strcmp(mode, "fputc")) {
			for (int i = 0; i < 65536 && !failed; i++)
				failed = fputc('z', fp) == EOF;
		} else if (!strcmp(mode, "putc-unlocked")) {
			for (int i = 0; i < 65536 && !failed; i++)
				failed = putc_unlocked('z', fp) == EOF;
		} else if (!strcmp(mode, "printf-stdout")) {
			call = "printf";
			failed = printf("%s", chunk) < 0;
		} else if (!strcmp(mode, "puts-stdout")) {
			call = "puts";
			failed = puts(chunk) == EOF;
		} else if (!strcmp(mode, "dprintf")) {
			failed = dprintf(fd, "%s", chunk) < 0;
		} else {
			fprintf(stderr, "wstdio: unknown mode %s\n", mode);
			return 2;
		}
		err = errno;
		call_ms = now_ms() - s;
		if (!failed)
			moved += 65536;
	}
	int ferr = ferror(fp) != 0;
	double after_ms = -1;
	int after_err = 0, after_failed = 0;
	if (failed) {
		double s = now_ms();
		errno = 0;
		if (!strcmp(mode, "dprintf"))
			after_failed = dprintf(fd, "again") < 0;
		else
			after_failed = fprintf(fp, "again") < 0 || fflush(fp) != 0;
		after_err = errno;
		after_ms = now_ms() - s;
	}
	struct timeval tv = {0, 0};
	socklen_t tl = sizeof tv;
	getsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, &tl);
	dprintf(out_fd,
		"{\"sndtimeo_seen_ms\": %ld, \"calls\": %d, \"call\": \"%s\", \"failed\": %d, \"errno\": "
		"\"%s\", \"ferror\": %d, \"short_ms\": %.1f, "
		"\"elapsed_ms\": %.1f, \"moved\": %lld, \"after_failed\": %d, \"after_errno\": \"%s\", "
		"\"after_ms\": %.1f}\n",
		(long)(tv.tv_sec * 1000 + tv.tv_usec / 1000), calls, call, failed, errno_name(err), ferr,
		call_ms, now_ms() - t0, moved, after_failed, errno_name(after_err), after_ms);
	if (!strcmp(mode, "fwrite") && !failed)
		fclose(fp);
	/* Exit through exit(): its stdio flush must not die of SIGPIPE either. */
	return 0;
}
