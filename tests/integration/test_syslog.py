"""syslog() to a local log daemon that stopped reading: its /dev/log queue
fills and glibc's syslog blocks for ever. Under the preload one call waits the
deadline, the message is dropped and reported once, later messages are
dropped at once, and delivery resumes when the daemon reads again. The
messages are byte for byte what glibc sends (checked against glibc itself).

Every test runs in a private mount namespace (unshare -m) with a directory of
its own bound over /dev, so /dev/log is the test's receiver and the host's log
is untouched. Needs root (CI runs as root)."""

import json
import os
import re
import signal

from logdev import LogDev, needs_namespace
from harness import PROGRAMS, Scratch, base_env, check, finish, json_line, preload_env, spawn, test, \
    wait_for_line

T_MS = 1000
def flood(build):
    needs_namespace()
    with Scratch() as s:
        dev = LogDev(s, "hold")
        c = None
        try:
            script = 'mount --bind /dev/null "$1/null" && mount --bind "$1" /dev && shift && exec "$@"'
            c = spawn(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", dev.dir,
                       os.path.join(PROGRAMS, build), "flood", "60", "50"],
                      env=preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS))
            logged = wait_for_line(c.stderr, "syslog timed out", T_MS / 1000 + 5)
            check(logged is not None, "no timeout was reported: the program is blocked in syslog")
            # The daemon reads again: messages must get through from now on.
            dev.proc.send_signal(signal.SIGUSR1)
            out, err, rc = finish(c, 20)
        finally:
            if c and c.poll() is None:
                c.kill()
        check(rc == 0, "wsyslog: rc %s %r" % (rc, err[-300:]))
        res = json_line(out, '"calls"')
        msgs = dev.messages()
    slow = res["slow"]
    check(len(slow) == 1 and T_MS <= slow[0][1] <= T_MS + 300,
          "want exactly one call waiting the deadline (%d ms), got %s" % (T_MS, slow))
    check(res["elapsed_ms"] < 60 * 50 + T_MS + 1500, "flood took %.0f ms" % res["elapsed_ms"])
    numbers = [int(m.group(1)) for m in (re.search(r"message (\d+)$", x) for x in msgs) if m]
    dropped_at = slow[0][0]
    check(numbers[:dropped_at] == list(range(dropped_at)), "messages before the wedge: %s" % numbers)
    check(dropped_at not in numbers, "the timed-out message was delivered after all")
    later = [n for n in numbers if n > dropped_at]
    check(later and later[-1] == 59, "delivery did not resume after the daemon read again: %s" % numbers)
    check(any("END-OF-TEST" in m for m in msgs), "the last message is missing")
    check(logged.count("syslog timed out") == 1 and "socket=/dev/log" in logged, "log: %r" % logged)


# musl too (its syslog sends from inside libc; the preload serves it as on
# glibc); not arm64: qemu-user cannot follow unshare's exec of an arm64 program.
test("syslog/wedged-daemon/plain", portable=("musl",))(lambda: flood("wsyslog"))
test("syslog/wedged-daemon/fortify")(lambda: flood("wsyslog-fortify"))


@test("syslog/wedged-daemon/control", portable=("musl",))
def flood_control():
    needs_namespace()
    with Scratch() as s:
        dev = LogDev(s, "never")
        out, err, rc = dev.run([os.path.join(PROGRAMS, "wsyslog"), "flood", "60"], base_env(),
                               timeout=T_MS / 1000 + 2)
        dev.proc.kill()
    check(rc is None, "without the preload syslog did not block (rc %s): %r" % (rc, out))


def normalized(msgs, pid):
    out = []
    for m in msgs:
        check(re.match(r"<\d+>[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d ", m), "not a syslog header: %r" % m[:60])
        out.append(re.sub(r"^(<\d+>)[A-Z][a-z]{2} [ 123]\d \d\d:\d\d:\d\d ", r"\1TIME ", m).replace("[%d]" % pid, "[PID]"))
    return out


def same_as_glibc(build):
    needs_namespace()
    runs = []
    for env in (base_env(), preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS)):
        with Scratch() as s:
            dev = LogDev(s, "collect")
            out, err, rc = dev.run([os.path.join(PROGRAMS, build), "cases"], env, timeout=20)
            check(rc == 0, "wsyslog cases: rc %s %r" % (rc, err))
            pid = json.loads(out.splitlines()[0])["pid"]
            runs.append((normalized(dev.messages(), pid), err.replace("[%d]" % pid, "[PID]")))
    (glibc, glibc_err), (ours, ours_err) = runs
    check(len(glibc) >= 10, "glibc sent only %d messages" % len(glibc))
    for i, (a, b) in enumerate(zip(glibc, ours)):
        check(a == b, "message %d differs:\n glibc: %r\n ours:  %r" % (i, a[:200], b[:200]))
    check(len(glibc) == len(ours), "glibc sent %d messages, the preload %d" % (len(glibc), len(ours)))
    check(glibc_err == ours_err, "stderr (LOG_PERROR) differs:\n glibc: %r\n ours:  %r" % (glibc_err, ours_err))


test("syslog/same-bytes-as-glibc/plain")(lambda: same_as_glibc("wsyslog"))
test("syslog/same-bytes-as-glibc/fortify")(lambda: same_as_glibc("wsyslog-fortify"))
