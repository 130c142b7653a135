"""The unwedge command: validates its flags with the preload's parser, merges
LD_PRELOAD, sets the variables and execs the command (an ENTRYPOINT)."""

import os
import subprocess

from harness import BUILD, LAUNCHER, LAUNCHER_VALUE, LIB, PROGRAMS, QEMU, TARGET, TARGET_BUILD, TARGET_LAUNCHER, \
    Scratch, base_env, check, client, finish, json_line, spawn, test

HELLO = os.path.join(BUILD, "tests", "hello")
HELLO_STATIC = os.path.join(BUILD, "tests", "hello-static")


def launch(args, env=None):
    return subprocess.run([LAUNCHER] + args, env=env or base_env(), capture_output=True, text=True, timeout=20)


@test("launcher/help-and-version", production_only=True)
def help_version():
    p = launch(["--help"])
    check(p.returncode == 0 and "--timeout" in p.stdout and "--on-timeout" in p.stdout, "help: %r" % p.stdout)
    p = launch(["--version"])
    check(p.returncode == 0 and p.stdout.startswith("unwedge "), "version: %r" % p.stdout)


@test("launcher/option-errors", production_only=True)
def option_errors():
    cases = [(["--timeout", "5", "--", HELLO], "--timeout='5'"),
             (["--deadline=forever", HELLO], "--deadline='forever'"),
             (["--on-timeout", "panic", HELLO], "--on-timeout='panic'"),
             (["--bogus", HELLO], "--bogus"),
             (["--timeout"], "missing value for --timeout"),
             (["--timeout", "1s"], "no command"),
             (["--preload", "/nonexistent/lib.so", HELLO], "/nonexistent/lib.so")]
    for args, want in cases:
        p = launch(args)
        check(p.returncode == 2, "%s: rc %d, want 2" % (args, p.returncode))
        check(want in p.stderr and p.stdout == "", "%s: message %r lacks %r" % (args, p.stderr, want))


@test("launcher/sets-variables-and-execs", production_only=True)
def sets_and_execs():
    p = launch(["--timeout", "2s", "--tcp-user-timeout=5s", "--deadline", "total", "--on-timeout", "error",
                "--", HELLO, "7", "two words"])
    check(p.returncode == 7, "exit code not passed through: %d %s" % (p.returncode, p.stderr))
    for line in ("arg=7", "arg=two words", "LD_PRELOAD=%s" % LAUNCHER_VALUE, "UNWEDGE_TIMEOUT=2s",
                 "UNWEDGE_TCP_USER_TIMEOUT=5s", "UNWEDGE_DEADLINE=total", "UNWEDGE_ON_TIMEOUT=error"):
        check(line in p.stdout.splitlines(), "missing %r in %r" % (line, p.stdout))
    check(p.stderr == "", "unexpected stderr: %r" % p.stderr)


@test("launcher/merges-LD_PRELOAD", production_only=True)
def merges():
    other = "/lib/x86_64-linux-gnu/libm.so.6"
    p = launch(["--", HELLO], env=base_env(LD_PRELOAD=other))
    check("LD_PRELOAD=%s:%s" % (LAUNCHER_VALUE, other) in p.stdout,
          "existing entry dropped or order wrong: %r" % p.stdout)
    # Nested launchers (an entrypoint calling another) add it once.
    p = launch(["--", LAUNCHER, "--", HELLO], env=base_env(LD_PRELOAD=other))
    check(p.stdout.count(LAUNCHER_VALUE) == 1 and other in p.stdout, "duplicated or lost: %r" % p.stdout)
    # The library itself already there (its own path, not the one value): not added again.
    p = launch(["--", HELLO], env=base_env(LD_PRELOAD="%s %s" % (other, LIB)))
    check(p.stdout.count("libunwedge.so") == 1, "space-separated entry duplicated: %r" % p.stdout)


@test("launcher/command-not-found", production_only=True)
def not_found():
    p = launch(["--", "/nonexistent/daemon"])
    check(p.returncode == 127 and "/nonexistent/daemon" in p.stderr, "rc %d %r" % (p.returncode, p.stderr))


@test("launcher/warns-for-static-binaries-and-still-runs-them", production_only=True)
def static_warning():
    p = launch(["--", HELLO_STATIC, "4"])
    check(p.returncode == 4 and "arg=4" in p.stdout, "the static program did not run: %d %r" % (p.returncode, p.stdout))
    check("statically linked" in p.stderr and len(p.stderr.splitlines()) == 1, "warning: %r" % p.stderr)


@test("launcher/end-to-end", production_only=True)
def end_to_end():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        from harness import WCLIENT
        p = subprocess.run([LAUNCHER, "--timeout", "1s", "--", WCLIENT, peer.addr, "write"], env=base_env(),
                           capture_output=True, text=True, timeout=10)
    check('"errno": "ETIMEDOUT"' in p.stdout and "write timed out" in p.stderr, "%r %r" % (p.stdout, p.stderr))


@test("launcher/operator-flags", production_only=True)
def operator_flags():
    p = launch(["--mode", "observe", "--warn-after=2s", "--log-format", "json", "--log-rate", "5/m", "--rules",
                "port:5432 = off", "--only-cmds", "hello", "--keepalive", "30s,5s,3", "--", HELLO])
    check(p.returncode == 0, "rc %d: %s" % (p.returncode, p.stderr))
    for line in ("UNWEDGE_MODE=observe", "UNWEDGE_WARN_AFTER=2s", "UNWEDGE_LOG_FORMAT=json", "UNWEDGE_LOG_RATE=5/m",
                 "UNWEDGE_RULES=port:5432 = off", "UNWEDGE_ONLY_CMDS=hello", "UNWEDGE_KEEPALIVE=30s,5s,3"):
        check(line in p.stdout.splitlines(), "missing %r in %r" % (line, p.stdout))
    for args, want in ((["--rules", "port:x = off", HELLO], "--rules='port:x = off' is invalid: rule 1"),
                       (["--keepalive", "30s", HELLO], "--keepalive='30s' is invalid"),
                       (["--mode", "watch", HELLO], "--mode='watch' is invalid")):
        p = launch(args)
        check(p.returncode == 2 and want in p.stderr, "%s: rc %d %r" % (args, p.returncode, p.stderr))


# The launcher of the build under test (musl, arm64: tests/run.py's target
# passes) end to end. Under qemu-user an arm64 program cannot exec another arm64
# program (no binfmt_misc handler is registered here, and the tests register
# none): there the launcher execs qemu-aarch64 itself (an x86-64 program, which
# the kernel runs), which hands LD_PRELOAD to the arm64 program it runs.
def target_command(program, *args):
    argv = [os.path.join(PROGRAMS, program)] + [str(a) for a in args]
    return QEMU + argv if TARGET == "arm64" else argv


def target_preload():
    """What the launcher under test puts in LD_PRELOAD."""
    return LAUNCHER_VALUE if not TARGET else os.path.join(TARGET_BUILD, "libunwedge.so")


def launch_target(args, env, timeout):
    return finish(spawn([TARGET_LAUNCHER] + [str(a) for a in args], env=env), timeout)


@test("launcher/protects-a-wedged-writer", portable=True, production_only=True)
def protects():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        out, err, rc = launch_target(["--timeout", "1s", "--"] + target_command("wclient", peer.addr, "write",
                                                                                "--after-fail", 1), base_env(), 20)
    res = json_line(out or "", '"calls"')
    check(rc == 0 and res, "the launched writer: rc %s %r %r" % (rc, out, err[-500:]))
    check(res["errno"] == "ETIMEDOUT" and 1000 <= res["short_ms"] <= 1500 and res["after_errno"] == "ETIMEDOUT",
          "not protected: %s" % res)
    check("write timed out" in err, "no log line: %r" % err[-500:])


@test("launcher/protects-a-wedged-writer/control", portable=True, production_only=True)
def protects_control():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        out, err, rc = launch_target(["--no-preload", "--"] + target_command("wclient", peer.addr, "write"),
                                     base_env(), 2.5)
    check(rc is None, "with --no-preload the write did not hang: %r" % out)


@test("launcher/dry-run-of-the-build-under-test", portable=True, production_only=True)
def dry_run_target():
    out, err, rc = launch_target(["--dry-run", "--timeout", "5s", "--", os.path.join(PROGRAMS, "hello")], base_env(),
                                 20)
    lines = out.splitlines()
    check(rc == 0 and err == "", "%s %r" % (rc, err))
    for want in ("LD_PRELOAD=%s" % target_preload(), "UNWEDGE_TIMEOUT=5s",
                 "check: %s: the preload can reach it" % os.path.join(PROGRAMS, "hello")):
        check(want in lines, "missing %r in %r" % (want, out))


@test("launcher/bad-setting-exits-2", portable=True, production_only=True)
def bad_setting_target():
    out, err, rc = launch_target(["--timeout", "30", "--"] + target_command("hello"), base_env(), 20)
    check(rc == 2 and out == "" and len(err.splitlines()) == 1 and "--timeout='30' is invalid" in err,
          "%s %r %r" % (rc, out, err))
