/* The event formatter (src/event_format.c): a pure function of the event and
 * its facts, so every field and both formats are checked here, byte for byte. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stddef.h>
#include <sys/un.h>

#include "../common/json_valid.h"
#include "check.h"
#include "event_facts.h"
#include "fdtable.h"

static char line[4096];
static size_t len;

static void in4(struct sockaddr_storage *ss, socklen_t *l, const char *ip, int port)
{
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	*a = (struct sockaddr_in){.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, ip, &a->sin_addr);
	*l = sizeof *a;
}

/* Facts of a TCP connection from 10.0.0.1:5000 to 10.0.0.2:80, at a fixed time. */
static struct uw_event_facts facts(bool json)
{
	struct uw_event_facts f = {
		.time = {1764960000, 123000000}, .pid = 42, .program = "daemon", .json = json};
	in4(&f.local, &f.local_len, "10.0.0.1", 5000);
	in4(&f.peer, &f.peer_len, "10.0.0.2", 80);
	f.have_queued = true;
	f.queued = 1000;
	f.frames = -1;
	return f;
}

static const struct uw_event timeout_ev = {.kind = UW_EV_TIMEOUT,
					   .fd = 7,
					   .call = "send",
					   .moved = 10,
					   .want = 30,
					   .waited_ms = 1500,
					   .deadline_ms = 1500,
					   .action = "shutdown"};

static const char *fmt(const struct uw_event *ev, const struct uw_event_facts *f)
{
	len = uw_event_format(ev, f, line, sizeof line);
	line[len] = 0;
	return line;
}

static void text_timeout_every_field(void)
{
	struct uw_event_facts f = facts(false);
	f.rule = 2;
	CHECK_STR(fmt(&timeout_ev, &f),
		  "unwedge: write timed out: pid=42 fd=7 call=send local=10.0.0.1:5000 "
		  "peer=10.0.0.2:80 rule=2 moved=10 pending=20 queued=1000 waited=1.500s "
		  "deadline=idle:1.500s action=shutdown\n");
}

static void json_timeout_every_field(void)
{
	struct uw_event_facts f = facts(true);
	f.rule = 2;
	f.total = true;
	CHECK_STR(
		fmt(&timeout_ev, &f),
		"{\"time\":\"2025-12-05T18:40:00.123Z\",\"event\":\"timeout\",\"pid\":42,\"program\":"
		"\"daemon\","
		"\"fd\":7,\"call\":\"send\",\"local\":\"10.0.0.1:5000\",\"peer\":\"10.0.0.2:80\",\"rule\":2,"
		"\"moved\":10,\"pending\":20,\"queued\":1000,\"waited_ms\":1500,\"deadline\":\"total\","
		"\"deadline_ms\":1500,\"action\":\"shutdown\"}\n");
	CHECK(json_valid(line, len));
}

static void text_timestamp_when_logging_to_a_file(void)
{
	struct uw_event_facts f = facts(false);
	f.timestamp = true;
	CHECK(strncmp(fmt(&timeout_ev, &f), "2025-12-05T18:40:00.123Z unwedge: write timed out:", 50) == 0);
}

static void kernel_timeout_shows_the_user_timeout(void)
{
	struct uw_event ev = {.kind = UW_EV_KERNEL_TIMEOUT,
			      .fd = 3,
			      .call = "write",
			      .deadline_ms = 2000,
			      .waited_ms = -1,
			      .action = "tcp-user-timeout"};
	struct uw_event_facts f = facts(false);
	f.have_queued = false;
	CHECK(strstr(fmt(&ev, &f), " tcp_user_timeout=2.000s action=tcp-user-timeout\n") != NULL);
	CHECK(strstr(line, "waited") == NULL && strstr(line, "moved") == NULL &&
	      strstr(line, "queued") == NULL);
	f.json = true;
	CHECK(strstr(fmt(&ev, &f), ",\"tcp_user_timeout_ms\":2000,") != NULL);
	CHECK(json_valid(line, len));
}

static void completed_slow_and_their_results(void)
{
	struct uw_event ev = {.kind = UW_EV_COMPLETED,
			      .fd = 3,
			      .call = "write",
			      .moved = 30,
			      .want = 30,
			      .waited_ms = 3000,
			      .deadline_ms = 1000,
			      .result = 30};
	struct uw_event_facts f = facts(false);
	CHECK(strstr(fmt(&ev, &f), "returned (observe mode)") != NULL);
	CHECK(strstr(line, " blocked=3.000s deadline=idle:1.000s result=ok\n") != NULL);
	ev.result = 12;
	CHECK(strstr(fmt(&ev, &f), " result=partial\n") != NULL);
	ev = (struct uw_event){.kind = UW_EV_SLOW,
			       .fd = 3,
			       .call = "fputs",
			       .waited_ms = 700,
			       .result = -1,
			       .result_errno = ECONNRESET};
	f.warn_after_ms = 500;
	CHECK(strstr(fmt(&ev, &f), "slow write:") != NULL);
	CHECK(strstr(line,
		     " blocked=0.700s deadline=none warn_after=0.500s result=error errno=ECONNRESET\n"));
	CHECK(strstr(line, "pending") == NULL); /* stdio: the size is not known */
	f.json = true;
	CHECK(strstr(fmt(&ev, &f), "\"blocked_ms\":700,\"deadline\":\"none\",\"warn_after_ms\":500,"
				   "\"result\":\"error\",\"errno\":\"ECONNRESET\"}\n") != NULL);
	CHECK(json_valid(line, len));
}

static void crossed_in_observe_mode(void)
{
	struct uw_event ev = {.kind = UW_EV_CROSSED,
			      .fd = 3,
			      .call = "write",
			      .want = 5,
			      .waited_ms = 1000,
			      .deadline_ms = 1000};
	struct uw_event_facts f = facts(true);
	CHECK(strstr(fmt(&ev, &f), "\"event\":\"deadline-crossed\"") != NULL);
	CHECK(strstr(line, "\"result\"") == NULL);
	CHECK(json_valid(line, len));
}

static void hostile_server_name_and_unix_paths(void)
{
	struct uw_event_facts f = facts(false);
	f.tls_server = "evil\n\"host\" x=1";
	struct sockaddr_un *un = (struct sockaddr_un *)&f.peer;
	un->sun_family = AF_UNIX;
	memcpy(un->sun_path, "/run/a b\nc", 11);
	f.peer_len = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 11);
	fmt(&timeout_ev, &f);
	CHECK(strchr(line, '\n') == line + len - 1);
	CHECK(strstr(line, " tls_server=evil\\x0a\"host\"\\x20x=1 ") != NULL);
	CHECK(strstr(line, " peer=/run/a\\x20b\\x0ac ") != NULL);
	f.json = true;
	fmt(&timeout_ev, &f);
	CHECK(json_valid(line, len));
	CHECK(strstr(line, "\"tls_server\":\"evil\\u000a\\\"host\\\" x=1\"") != NULL);
}

static void unknown_and_unnamed_addresses(void)
{
	struct uw_event_facts f = facts(false);
	f.local_len = 0;
	f.peer.ss_family = AF_UNIX;
	f.peer_len = sizeof(sa_family_t);
	CHECK(strstr(fmt(&timeout_ev, &f), " local=unknown peer=unnamed ") != NULL);
}

/* A fake resolver: a symbol, a module without one, the signal trampoline,
 * an address alone, in turn. */
static int fake_frames(void *const *ips, int n, bool (*fn)(const struct uw_bt_frame *f, void *arg), void *arg)
{
	int i = 0;
	for (; i < n; i++) {
		struct uw_bt_frame f = {
			.ip = (uintptr_t)ips[i], .module = "libx.so", .module_offset = 0x10 + i};
		if (i % 4 == 0)
			f.symbol = "fn", f.symbol_offset = 0x5;
		f.signal = i % 4 == 2;
		if (i % 4 == 3)
			f.module = NULL;
		if (!fn(&f, arg))
			return i + 1;
	}
	return i;
}

static void backtraces_text_and_json(void)
{
	struct uw_event_facts f = facts(false);
	f.resolve = fake_frames;
	f.frames = 4;
	for (int i = 0; i < 4; i++)
		f.ips[i] = (void *)(uintptr_t)(0xabc0 + i);
	CHECK(strstr(fmt(&timeout_ev, &f), " backtrace=fn+0x5(libx.so)<(libx.so+0x11)<[signal]<0xabc3\n") !=
	      NULL);
	f.json = true;
	CHECK(strstr(fmt(&timeout_ev, &f),
		     ",\"backtrace\":[{\"module\":\"libx.so\",\"module_offset\":16,\"symbol\":\"fn\","
		     "\"symbol_offset\":5},"
		     "{\"module\":\"libx.so\",\"module_offset\":17},{\"signal\":true},{\"module\":\"?\","
		     "\"module_offset\":19}]}\n") != NULL);
	CHECK(json_valid(line, len));
	f.frames = UW_BT_FRAMES + 1; /* more than shown: marked as cut in text */
	f.json = false;
	CHECK(strstr(fmt(&timeout_ev, &f), "<...\n") != NULL);
	f.frames = 0;
	CHECK(strstr(fmt(&timeout_ev, &f), " backtrace=unavailable\n") != NULL);
	f.json = true;
	CHECK(strstr(fmt(&timeout_ev, &f), ",\"backtrace\":\"unavailable\"}\n") != NULL);
}

static void suppressed_count(void)
{
	struct uw_event_facts f = facts(false);
	f.suppressed = 17;
	CHECK(strstr(fmt(&timeout_ev, &f), " action=shutdown suppressed=17\n") != NULL);
}

static void json_that_cannot_fit_still_parses(void)
{
	struct uw_event_facts f = facts(true);
	f.resolve = fake_frames;
	f.frames = UW_BT_FRAMES;
	char small[512];
	char name[300];
	memset(name, 'n', sizeof name - 1);
	name[sizeof name - 1] = 0;
	f.tls_server = name;
	f.program = name;
	f.suppressed = 3;
	size_t n = uw_event_format(&timeout_ev, &f, small, sizeof small);
	CHECK(n <= sizeof small);
	CHECK(json_valid(small, n));
	CHECK(small[n - 1] == '\n');
}

int main(void)
{
	RUN(text_timeout_every_field);
	RUN(json_timeout_every_field);
	RUN(text_timestamp_when_logging_to_a_file);
	RUN(kernel_timeout_shows_the_user_timeout);
	RUN(completed_slow_and_their_results);
	RUN(crossed_in_observe_mode);
	RUN(hostile_server_name_and_unix_paths);
	RUN(unknown_and_unnamed_addresses);
	RUN(backtraces_text_and_json);
	RUN(suppressed_count);
	RUN(json_that_cannot_fit_still_parses);
	return check_failures;
}
