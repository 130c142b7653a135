/* Wide-character stdio and the error printers on a socket, until a call fails;
 * prints one JSON line (as wstdio does) on the original standard output.
 *
 *   wwide ADDR MODE
 *
 * MODE: fputws, fputwc, putwc, fwprintf (on a stream of the socket),
 * wprintf-stdout (the socket is standard output), perror, psignal, warn, warnx,
 * err (the socket is standard error; err exits with status 7 after printing). */
#include <err.h>
#include <locale.h>
#include <signal.h>
#include <sys/time.h>
#include <wchar.h>

#include "common.h"

static wchar_t wchunk[16385];
static char chunk[16385];

/* One call of the mode; true if it failed (for the void printers: stderr's
 * error indicator). */
static int call_once(const char *mode, FILE *fp)
{
	if (!strcmp(mode, "fputws"))
		return fputws(wchunk, fp) < 0;
	if (!strcmp(mode, "fputwc") || !strcmp(mode, "putwc")) {
		for (int i = 0; i < 16384; i++)
			if ((mode[0] == 'f' ? fputwc(L'\u00e9', fp) : putwc(L'\u00e9', fp)) == WEOF)
				return 1;
		return 0;
	}
	if (!strcmp(mode, "fwprintf"))
		return fwprintf(fp, L"%ls", wchunk) < 0;
	if (!strcmp(mode, "wprintf-stdout"))
		return wprintf(L"%ls", wchunk) < 0;
	if (!strcmp(mode, "perror"))
		perror(chunk);
	else if (!strcmp(mode, "psignal"))
		psignal(SIGTERM, chunk);
	else if (!strcmp(mode, "warn"))
		warn("%s", chunk);
	else if (!strcmp(mode, "warnx"))
		warnx("%s", chunk);
	else if (!strcmp(mode, "err"))
		err(7, "%s", chunk);
	else
		die("unknown mode");
	return ferror(stderr) != 0;
}

/* A stream of the socket for the stream functions; for the others the socket
 * becomes standard output (wprintf) or standard error (the printers). */
static FILE *stream_for(const char *mode, int fd)
{
	if (!strncmp(mode, "fput", 4) || !strcmp(mode, "putwc") || !strcmp(mode, "fwprintf"))
		return fdopen(fd, "w");
	int to = !strcmp(mode, "wprintf-stdout") ? 1 : 2;
	dup2(fd, to);
	return to == 1 ? stdout : stderr;
}

/* Fills the socket's buffer, so that err's one call blocks at once. */
static void fill(int fd)
{
	while (send(fd, chunk, sizeof chunk - 1, MSG_DONTWAIT) > 0)
		;
}

int main(int argc, char **argv)
{
	if (argc < 3) {
		fprintf(stderr, "usage: wwide ADDR MODE\n");
		return 2;
	}
	setlocale(LC_ALL, "C.UTF-8");
	const char *mode = argv[2];
	for (int i = 0; i < 16384; i++)
		wchunk[i] = L'\u00e9', chunk[i] = 'x';
	int out_fd = dup(1);
	int fd = connect_addr(argv[1]);
	FILE *fp = stream_for(mode, fd);
	if (!fp)
		die("fdopen");
	if (!strcmp(mode, "err"))
		fill(fd);
	int calls = 0, failed = 0, err_no = 0;
	double t0 = now_ms(), call_ms = 0;
	while (!failed && now_ms() - t0 < 30000) {
		double s = now_ms();
		errno = 0;
		calls++;
		failed = call_once(mode, fp);
		err_no = errno;
		call_ms = now_ms() - s;
	}
	double s = now_ms();
	int after_failed = call_once(mode, fp);
	double after_ms = now_ms() - s;
	dprintf(out_fd,
		"{\"calls\": %d, \"failed\": %d, \"errno\": \"%s\", \"short_ms\": %.1f, \"elapsed_ms\": "
		"%.1f, "
		"\"after_failed\": %d, \"after_ms\": %.1f}\n",
		calls, failed, errno_name(err_no), call_ms, now_ms() - t0, after_failed, after_ms);
	return 0;
}
