"""`make demo` (tools/demo/run-demo): the two timelines, without and with unwedge, read the same
way every run. The real demo runs, with its real daemon, backends and launcher: every line of a
timeline has its time right-aligned in the header's column (table rows, the freeze, the failed
write, the totals); every line comes in time order, the freeze right after the 2.0 s row in both
runs; no log line of unwedge cuts through a table (it is shown after the second one). And the
demo still shows what it is for: without unwedge nothing moves after the freeze; with it the
write to c fails after 2 s and a and b flow again."""

import os
import re
import subprocess

from harness import ROOT, check, test

DEMO = os.path.join(ROOT, "tools", "demo", "run-demo")
TIMED = re.compile(r"^( *)(\d+\.\d)s  ")


def timelines(out):
    """The lines of each run's table, header to totals."""
    runs, cur = [], None
    for line in out.splitlines():
        if line.strip().startswith("time ") and "(requests completed per half second)" in line:
            cur = [line]
            runs.append(cur)
        elif cur is not None:
            cur.append(line)
            if line.strip().startswith("totals"):
                cur = None
    return runs


def column_and_time(line):
    """(the column at which the time ends, the time), or (None, None) for a line with no time."""
    m = TIMED.match(line)
    if not m:
        return None, None
    return len(m.group(1)) + len(m.group(2)) + 1, float(m.group(2))


def check_timeline(run, n):
    header, totals = run[0], run[-1]
    col = header.index("time") + len("time")
    check(totals.index("totals") + len("totals") == col, "run %d: totals not in the time column:\n%s" % (n, totals))
    last, rows = -1.0, []
    for line in run[1:-1]:
        c, t = column_and_time(line)
        check(c == col, "run %d: a line off the time column (%s), or with none:\n%r" % (n, col, line))
        check(t >= last, "run %d: out of time order at %r" % (n, line))
        last = t
        rows.append((t, line[c:].strip()))
    i = [k for k, (t, text) in enumerate(rows) if t == 2.0 and text[:1].isdigit()]
    check(len(i) == 1 and rows[i[0] + 1][1].startswith("-- backend c freezes (SIGSTOP)"),
          "run %d: the freeze should follow the 2.0s row:\n%s" % (n, "\n".join(run)))
    return rows


@test("demo/timelines-align-and-read-the-same-way", serial=True, production_only=True)
def demo():
    p = subprocess.run([DEMO], capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "run-demo: %d %r" % (p.returncode, p.stderr[-2000:]))
    runs = timelines(p.stdout)
    check(len(runs) == 2, "two timelines expected:\n%s" % p.stdout)
    without, with_ = (check_timeline(run, n + 1) for n, run in enumerate(runs))
    counts = lambda text: [int(x) for x in text.split()[:3]]  # noqa: E731
    check(all(counts(text) == [0, 0, 0] for t, text in without if t >= 3.0),
          "without unwedge, something moved after the freeze:\n%s" % "\n".join(runs[0]))
    failed = [k for k, (t, text) in enumerate(with_) if text.startswith("c: write failed after")]
    check(len(failed) == 1 and not any(text.startswith("c: write failed") for _, text in without),
          "one failed write to c, in the second run only:\n%s" % p.stdout)
    t_fail = with_[failed[0]][0]
    check(t_fail >= 4.0 and "(Connection timed out)" in with_[failed[0]][1], "the write failed at %.1f s" % t_fail)
    check(any(counts(text)[0] > 0 and counts(text)[1] > 0 for t, text in with_[failed[0] + 1:]),
          "a and b did not flow again:\n%s" % "\n".join(runs[1]))
    lines = p.stdout.splitlines()
    log_at = [k for k, line in enumerate(lines) if "unwedge: write timed out" in line]
    end_of_second = max(k for k, line in enumerate(lines) if line.strip().startswith("totals"))
    check(len(log_at) == 1 and log_at[0] > end_of_second and "unwedge's log" in lines[log_at[0] - 1],
          "unwedge's log line should follow the second table, under its heading:\n%s" % p.stdout)
    check("unwedge:" not in p.stderr, "unwedge wrote to the terminal: %r" % p.stderr)
