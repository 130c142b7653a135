"""`unwedge config`: the settings a program started from this environment gets,
one line per option (NAME=VALUE and its source), then the state; exit 2 with one
line on stderr per problem (an invalid value, an unknown UNWEDGE_* name), for
deployment pipelines. Its verdicts are compared with what the preload itself
does with the same environment."""

import os
import re
import shlex
import subprocess

from harness import BUILD, LAUNCHER, LIB, Scratch, base_env, check, client, test

HELLO = os.path.join(BUILD, "tests", "hello")
ROW = re.compile(r"^(UNWEDGE_[A-Z_]+)=(\S+|'.*') +\((env|default|invalid|derived: follows .+)\)$")
OPTIONS = ["UNWEDGE_TIMEOUT", "UNWEDGE_TCP_USER_TIMEOUT", "UNWEDGE_TCP_USER_TIMEOUT_SCOPE", "UNWEDGE_DEADLINE",
           "UNWEDGE_ON_TIMEOUT", "UNWEDGE_LOG", "UNWEDGE_MODE", "UNWEDGE_WARN_AFTER", "UNWEDGE_LOG_FORMAT",
           "UNWEDGE_LOG_RATE", "UNWEDGE_RULES", "UNWEDGE_ONLY_CMDS", "UNWEDGE_SKIP_CMDS", "UNWEDGE_KEEPALIVE",
           "UNWEDGE_BACKTRACE", "UNWEDGE_STATS"]


def config(**env):
    p = subprocess.run([LAUNCHER, "config"], env=base_env(**env), capture_output=True, text=True, timeout=10)
    rows, state = {}, None
    for line in p.stdout.splitlines():
        m = ROW.match(line)
        if m:
            rows[m.group(1)] = (shlex.split(m.group(2))[0], m.group(3))
        elif line.startswith("state: "):
            state = line[7:]
        else:
            raise AssertionError("unexpected line %r in:\n%s" % (line, p.stdout))
    check(p.stdout.splitlines()[-1].startswith("state: "), "the state is not last: %r" % p.stdout)
    return p.returncode, rows, state, p.stderr


def preload_says(**env):
    """What the preload prints at start-up in a program with this environment."""
    p = subprocess.run([HELLO], env=base_env(LD_PRELOAD=LIB, **env), capture_output=True, text=True, timeout=10)
    return p.stderr


@test("config-command/defaults", production_only=True)
def defaults():
    rc, rows, state, err = config()
    check(rc == 0 and err == "" and state == "active", "rc %d state %r err %r" % (rc, state, err))
    check(list(rows) == OPTIONS, "one row per option, in table order: %s" % list(rows))
    check(rows["UNWEDGE_TIMEOUT"] == ("30s", "default"), rows)
    check(rows["UNWEDGE_TCP_USER_TIMEOUT"] == ("30s", "derived: follows UNWEDGE_TIMEOUT, the write deadline"), rows)
    for name, want in (("UNWEDGE_TCP_USER_TIMEOUT_SCOPE", "blocking"), ("UNWEDGE_DEADLINE", "idle"),
                       ("UNWEDGE_ON_TIMEOUT", "shutdown"), ("UNWEDGE_LOG", "stderr")):
        check(rows[name] == (want, "default"), "%s: %s" % (name, rows[name]))


@test("config-command/values-from-the-environment", production_only=True)
def from_env():
    with Scratch() as s:
        os.mkdir(os.path.join(s.dir, "unwedge dir"))
        log = os.path.join(s.dir, "unwedge dir", "it's.log")
        rc, rows, state, err = config(UNWEDGE_TIMEOUT="1500ms", UNWEDGE_DEADLINE="total", UNWEDGE_ON_TIMEOUT="error",
                                      UNWEDGE_LOG=log, UNWEDGE_TCP_USER_TIMEOUT_SCOPE="all")
    check(rc == 0 and err == "" and state == "active", "rc %d %r %r" % (rc, state, err))
    check(rows["UNWEDGE_TIMEOUT"] == ("1.5s", "env"), rows)
    # The user timeout follows the deadline, shown as derived.
    check(rows["UNWEDGE_TCP_USER_TIMEOUT"][0] == "1.5s" and rows["UNWEDGE_TCP_USER_TIMEOUT"][1].startswith("derived"),
          rows)
    check(rows["UNWEDGE_LOG"] == (log, "env"), rows)
    check(rows["UNWEDGE_DEADLINE"] == ("total", "env") and rows["UNWEDGE_ON_TIMEOUT"] == ("error", "env"), rows)
    rc, rows, state, err = config(UNWEDGE_TIMEOUT="2m", UNWEDGE_TCP_USER_TIMEOUT="off")
    check(rows["UNWEDGE_TIMEOUT"] == ("2m", "env") and rows["UNWEDGE_TCP_USER_TIMEOUT"] == ("off", "env"), rows)
    rc, rows, state, err = config(UNWEDGE_TIMEOUT="off", UNWEDGE_TCP_USER_TIMEOUT="off")
    check(rc == 0 and state.startswith("inactive"), "both off: %d %r" % (rc, state))


@test("config-command/its-output-fed-back-gives-the-same-settings", production_only=True)
def idempotent():
    env = dict(UNWEDGE_TIMEOUT="0.25s", UNWEDGE_TCP_USER_TIMEOUT="7200s", UNWEDGE_LOG="/tmp/a b.log",
               UNWEDGE_DEADLINE="total")
    rc, rows, _, _ = config(**env)
    rc2, again, _, err = config(**{k: v for k, (v, _) in rows.items()})
    check(rc == rc2 == 0 and err == "", "rc %d %d %r" % (rc, rc2, err))
    check({k: v for k, (v, _) in again.items()} == {k: v for k, (v, _) in rows.items()},
          "%s\n!=\n%s" % (rows, again))
    check(again["UNWEDGE_TCP_USER_TIMEOUT"][0] == "2h" and again["UNWEDGE_TIMEOUT"][0] == "250ms", again)


@test("config-command/each-invalid-value-exits-2-naming-the-variable", production_only=True)
def invalid_values():
    cases = [("UNWEDGE_TIMEOUT", "30"), ("UNWEDGE_TIMEOUT", "5 s"), ("UNWEDGE_TCP_USER_TIMEOUT", "fast"),
             ("UNWEDGE_TCP_USER_TIMEOUT_SCOPE", "some"), ("UNWEDGE_DEADLINE", "never"),
             ("UNWEDGE_ON_TIMEOUT", "panic"), ("UNWEDGE_LOG", "relative.log"), ("UNWEDGE_TIMEOUT", "")]
    for name, value in cases:
        rc, rows, state, err = config(**{name: value})
        want = "unwedge: config: %s='%s' is invalid" % (name, value)
        check(rc == 2 and err.splitlines()[0].startswith(want) and len(err.splitlines()) == 2,
              "%s=%r: rc %d, stderr %r" % (name, value, rc, err))
        check(rows[name][1] == "invalid" and state.startswith("disabled"), "%s=%r: %s %r" % (name, value, rows, state))
        # The preload says the same about the same environment, and disables itself.
        said = preload_says(**{name: value})
        check("%s='%s' is invalid" % (name, value) in said and "disabled" in said,
              "%s=%r: the preload said %r" % (name, value, said))
    rc, rows, state, err = config(UNWEDGE_TIMEOUT="30", UNWEDGE_DEADLINE="never")
    check(rc == 2 and "UNWEDGE_TIMEOUT" in err and "UNWEDGE_DEADLINE" in err and "2 problems" in err,
          "every invalid value is named: %r" % err)


@test("config-command/unknown-variable-exits-2", production_only=True)
def unknown():
    rc, rows, state, err = config(UNWEDGE_TIMOUT="5s", UNWEDGE_TIMOUT_MS="1")
    msgs = err.splitlines()
    check(rc == 2 and len(msgs) == 3 and "unknown variable UNWEDGE_TIMOUT (check its spelling)" in err
          and "unknown variable UNWEDGE_TIMOUT_MS (" in err and "2 problems" in msgs[2], "rc %d %r" % (rc, err))
    check(state == "active" and rows["UNWEDGE_TIMEOUT"] == ("30s", "default"), "%r %s" % (state, rows))
    # The preload ignores it too (with a warning): the typo really has no effect.
    check("unknown variable UNWEDGE_TIMOUT ignored" in preload_says(UNWEDGE_TIMOUT="5s"), "preload")
    # Set by `unwedge --cgroup` for the program: not a typo.
    rc, _, _, err = config(UNWEDGE_CGROUP="/sys/fs/cgroup/x")
    check(rc == 0 and err == "", "UNWEDGE_CGROUP flagged: %d %r" % (rc, err))


@test("config-command/usage", production_only=True)
def usage():
    p = subprocess.run([LAUNCHER, "config", "--help"], env=base_env(), capture_output=True, text=True, timeout=10)
    check(p.returncode == 0 and p.stdout.startswith("usage: unwedge config"), p.stdout)
    p = subprocess.run([LAUNCHER, "config", "extra"], env=base_env(), capture_output=True, text=True, timeout=10)
    check(p.returncode == 2 and "'extra'" in p.stderr and p.stdout == "", "%d %r" % (p.returncode, p.stderr))
    p = subprocess.run([LAUNCHER, "--help"], env=base_env(), capture_output=True, text=True, timeout=10)
    check("unwedge config" in p.stdout and "unwedge check" in p.stdout, p.stdout)


@test("config-command/operator-settings", production_only=True)
def operator_settings():
    rc, rows, state, err = config(UNWEDGE_TIMEOUT="1s", UNWEDGE_KEEPALIVE="2s,1s,3", UNWEDGE_MODE="observe",
                                  UNWEDGE_RULES="net:10.0.0.0/8 port:443=5s;port:5432 = off")
    check(rc == 0 and err == "", "rc %d %r" % (rc, err))
    check(rows["UNWEDGE_TCP_USER_TIMEOUT"] == ("5s", "derived: follows UNWEDGE_KEEPALIVE: IDLE + INTERVAL x COUNT, "
                                               "longer than the write deadline"), "%s" % (rows,))
    check(rows["UNWEDGE_RULES"] == ("tcp4 net:10.0.0.0/8 port:443 = 5s; tcp port:5432 = off", "env"), "%s" % (rows,))
    check(rows["UNWEDGE_MODE"] == ("observe", "env"), "%s" % (rows,))
    rc, rows, state, err = config(UNWEDGE_RULES="port:443 = soon")
    check(rc == 2 and "UNWEDGE_RULES='port:443 = soon' is invalid: rule 1" in err, "rc %d %r" % (rc, err))


@test("config-command/reports-unusable-log-files", production_only=True)
def log_targets():
    with Scratch() as s:
        d = os.path.join(s.dir, "logdir")
        os.mkdir(d)
        fifo = os.path.join(s.dir, "fifo")
        os.mkfifo(fifo)
        link = os.path.join(s.dir, "link.log")
        os.symlink(os.path.join(s.dir, "target.log"), link)
        cases = [(d, "is a directory"), (fifo, "is a FIFO"), ("/dev/null", "is a device"),
                 (link, "is a symbolic link (not followed)"),
                 (os.path.join(s.dir, "missing", "x.log"), "its directory does not exist")]
        for path, want in cases:
            rc, rows, state, err = config(UNWEDGE_LOG=path)
            check(rc == 2 and ("UNWEDGE_LOG=%s " % path) in err and want in err and "1 problem" in err,
                  "%s: rc %d %r" % (path, rc, err))
            # What the preload really does with it: the event goes to stderr with the reason.
            if path != "/dev/null":
                peer = s.peer("tcp4", "never")
                res, perr = client(peer.addr, "write", base_env(LD_PRELOAD=LIB, UNWEDGE_TIMEOUT="300ms",
                                                                 UNWEDGE_LOG=path), ["--total", 8 << 20])
                check(res and res["errno"] == "ETIMEDOUT" and "logging to stderr instead" in perr,
                      "%s: %s %r" % (path, res, perr))
        rc, rows, state, err = config(UNWEDGE_LOG=os.path.join(s.dir, "new.log"))
        check(rc == 0 and err == "", "a new file in a writable directory is fine: %d %r" % (rc, err))
        check(not os.path.exists(os.path.join(s.dir, "new.log")), "config must not create the file")


@test("config-command/env-output-for-eval-and-environment-files", production_only=True)
def env_format():
    env = dict(UNWEDGE_TIMEOUT="1.5S", UNWEDGE_LOG_FORMAT="JSON", UNWEDGE_MODE="Observe", UNWEDGE_STATS="ON",
               UNWEDGE_RULES="port:5432 = off; * = 3s", UNWEDGE_ONLY_CMDS="nginx,api")
    p = subprocess.run([LAUNCHER, "config", "--env"], env=base_env(**env), capture_output=True, text=True, timeout=10)
    check(p.returncode == 0 and p.stderr == "", "%d %r" % (p.returncode, p.stderr))
    # Either NAME=VALUE (bare, or in double quotes with \ before " \ ` $) or a comment: systemd's
    # EnvironmentFile= grammar and sh's alike.
    line_re = re.compile(r'^(#.*|UNWEDGE_[A-Z_]+=([A-Za-z0-9_./:,=@%+-]*|"([^"\\`$]|\\["\\`$])*"))$')
    for line in p.stdout.splitlines():
        check(line_re.match(line), "not an environment-file line: %r" % line)
    check("UNWEDGE_TIMEOUT=1.5s" in p.stdout and "UNWEDGE_MODE=observe" in p.stdout and
          'UNWEDGE_RULES="tcp port:5432 = off; * = 3s"' in p.stdout, p.stdout)
    check("# UNWEDGE_TCP_USER_TIMEOUT=1.5s follows" in p.stdout, "derived values are comments: %r" % p.stdout)
    # Fed back through eval, the same settings.
    script = 'eval "$(%s config --env)"; export $(sed -n "s/^\\(UNWEDGE_[A-Z_]*\\)=.*/\\1/p" <<EOF\n' \
             '$(%s config --env)\nEOF\n); exec %s config' % (LAUNCHER, LAUNCHER, LAUNCHER)
    q = subprocess.run(["bash", "-c", script], env=base_env(**env), capture_output=True, text=True, timeout=10)
    first = subprocess.run([LAUNCHER, "config"], env=base_env(**env), capture_output=True, text=True, timeout=10)
    strip = lambda out: [l.split()[0] for l in out.splitlines()]
    check(q.returncode == 0 and strip(q.stdout) == strip(first.stdout), "%r\n!=\n%r %r" % (q.stdout, first.stdout, q.stderr))


@test("config-command/json-is-one-object", production_only=True)
def json_format():
    import json
    p = subprocess.run([LAUNCHER, "--timeout", "2s", "config", "--json"],
                       env=base_env(UNWEDGE_DEADLINE="never", UNWEDGE_TIMOUT="1s"), capture_output=True, text=True,
                       timeout=10)
    check(p.returncode == 2 and len(p.stdout.splitlines()) == 1, "%d %r" % (p.returncode, p.stdout))
    o = json.loads(p.stdout)
    check(list(o["settings"]) == OPTIONS, list(o["settings"]))
    check(o["settings"]["UNWEDGE_TIMEOUT"] == {"value": "2s", "source": "env"}, o["settings"]["UNWEDGE_TIMEOUT"])
    check(o["settings"]["UNWEDGE_DEADLINE"] == {"value": "never", "source": "invalid"}, o)
    check(o["state"].startswith("disabled") and len(o["problems"]) == 2, o)
    p = subprocess.run([LAUNCHER, "config", "--json"], env=base_env(UNWEDGE_TIMEOUT="off", UNWEDGE_TCP_USER_TIMEOUT="off"),
                       capture_output=True, text=True, timeout=10)
    o = json.loads(p.stdout)
    check(p.returncode == 0 and o["state"].startswith("inactive") and any("does nothing" in n for n in o["notices"]), o)
