"""The launcher checks everything before exec, so that nothing runs silently
unprotected (issue 15): the preload's path and file, the settings the program
will read (the environment merged with the flags, by the preload's own reader),
the settings that leave unwedge doing nothing (notices; errors under --strict);
--dry-run; flags before `config`; getopt_long without abbreviations; warnings
once per process tree. Real launcher, real library, real child."""

import os
import shutil
import subprocess

from harness import BUILD, LAUNCHER, LAUNCHER_VALUE, LIB, Scratch, base_env, check, client, test

HELLO = os.path.join(BUILD, "tests", "hello")
HELLO_STATIC = os.path.join(BUILD, "tests", "hello-static")


def launch(args, launcher=LAUNCHER, **env):
    return subprocess.run([launcher] + args, env=base_env(**env), capture_output=True, text=True, timeout=20)


def refused(p, want, what):
    """Exit 2, one message naming the problem, and the command never ran."""
    check(p.returncode == 2, "%s: rc %d, want 2: %r" % (what, p.returncode, p.stderr))
    check(want in p.stderr and len(p.stderr.splitlines()) == 1, "%s: message %r lacks %r" % (what, p.stderr, want))
    check("arg=" not in p.stdout and "LD_PRELOAD" not in p.stdout, "%s: the command ran: %r" % (what, p.stdout))


@test("launcher-checks/refuses-a-preload-path-the-loader-would-split", production_only=True)
def split_paths():
    with Scratch() as s:
        # The launcher and its library copied into a directory with a space: it finds the library
        # next to itself, as installed.
        sp = os.path.join(s.dir, "sp ace")
        os.mkdir(sp)
        shutil.copy(LAUNCHER, sp)
        shutil.copy(LIB, sp)
        refused(launch(["--", HELLO, "0"], launcher=os.path.join(sp, "unwedge")), "a space or a colon",
                "found next to the launcher in 'sp ace'")
        co = os.path.join(s.dir, "co:lon")
        os.mkdir(co)
        shutil.copy(LIB, co)
        refused(launch(["--preload", os.path.join(co, "libunwedge.so"), "--", HELLO, "0"]), "a space or a colon",
                "--preload in 'co:lon'")
        # Control: the same file under a plain path is used, and the loader really takes it.
        plain = os.path.join(s.dir, "plain")
        os.mkdir(plain)
        shutil.copy(LIB, plain)
        lib = os.path.join(plain, "libunwedge.so")
        p = launch(["--preload", lib, "--", HELLO, "0"])
        check(p.returncode == 0 and "LD_PRELOAD=%s" % lib in p.stdout and p.stderr == "", "%d %r %r" %
              (p.returncode, p.stdout, p.stderr))
        peer = s.peer("tcp4", "never")
        from harness import WCLIENT
        p = subprocess.run([LAUNCHER, "--preload", lib, "--timeout", "1s", "--", WCLIENT, peer.addr, "write"],
                           env=base_env(), capture_output=True, text=True, timeout=15)
        check('"errno": "ETIMEDOUT"' in p.stdout, "the plain path did not protect: %r %r" % (p.stdout, p.stderr))


@test("launcher-checks/refuses-a-preload-that-is-not-a-shared-library", production_only=True)
def not_a_library():
    with Scratch() as s:
        text = os.path.join(s.dir, "libfake.so")
        with open(text, "w") as f:
            f.write("not a library\n")
        for path, want in ((s.dir, "is a directory"), ("/etc/passwd", "is not an ELF shared library"),
                           (text, "is not an ELF shared library"), (HELLO_STATIC, "not a shared library"),
                           (HELLO, "position-independent executable"),
                           ("/lib/x86_64-linux-gnu/libm.so.6", "not libunwedge.so")):
            refused(launch(["--preload", path, "--", HELLO, "0"]), want, path)


@test("launcher-checks/validates-the-merged-settings-before-exec", production_only=True)
def merged_settings():
    # The preload would disable itself in the child: the launcher refuses to start it.
    for name, value in (("UNWEDGE_RULES", "garbage"), ("UNWEDGE_TIMEOUT", "30"), ("UNWEDGE_LOG_RATE", "fast")):
        p = launch(["--deadline", "total", "--", HELLO, "0"], **{name: value})
        refused(p, "%s='%s' is invalid" % (name, value), "%s=%s" % (name, value))
        check("disabled" in p.stderr, "does not say what the preload would do: %r" % p.stderr)
    # A flag replaces the bad inherited value: then it is fine.
    p = launch(["--timeout", "5s", "--", HELLO, "0"], UNWEDGE_TIMEOUT="30")
    check(p.returncode == 0 and "UNWEDGE_TIMEOUT=5s" in p.stdout and p.stderr == "", "%d %r" % (p.returncode, p.stderr))
    # Without the launcher, the same environment really leaves the program unprotected.
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        res, err = client(peer.addr, "write", base_env(LD_PRELOAD=LIB, UNWEDGE_RULES="garbage"), timeout=3)
        check(res is None and "disabled" in err, "control: the write should hang: %s %r" % (res, err))


@test("launcher-checks/dry-run-prints-and-stops", production_only=True)
def dry_run():
    other = "/lib/x86_64-linux-gnu/libm.so.6"
    p = launch(["--dry-run", "--timeout", "5s", "--", HELLO, "0"], UNWEDGE_MODE="observe", LD_PRELOAD=other)
    lines = p.stdout.splitlines()
    check(p.returncode == 0 and p.stderr == "", "%d %r" % (p.returncode, p.stderr))
    for want in ("LD_PRELOAD=%s:%s" % (LAUNCHER_VALUE, other), "UNWEDGE_TIMEOUT=5s", "UNWEDGE_MODE=observe",
                 "check: %s: the preload can reach it" % HELLO):
        check(want in lines, "missing %r in %r" % (want, p.stdout))
    check(not any(l.startswith("arg=") for l in lines), "the command ran: %r" % p.stdout)
    p = launch(["--dry-run", "--", HELLO_STATIC, "0"])
    check(p.returncode == 0 and any(l.startswith("check: ") and "statically linked" in l for l in p.stdout.splitlines()),
          "%r %r" % (p.stdout, p.stderr))
    # A dry run checks as much as a real one.
    refused(launch(["--dry-run", "--", HELLO], UNWEDGE_DEADLINE="never"), "UNWEDGE_DEADLINE='never'", "dry run")


@test("launcher-checks/notices-for-settings-that-do-nothing-and-strict", production_only=True)
def notices():
    with Scratch() as s:
        os.mkdir(os.path.join(s.dir, "logdir"))
        os.mkfifo(os.path.join(s.dir, "fifo"))
        cases = [(["--timeout", "off", "--tcp-user-timeout", "off"], "unwedge does nothing"),
                 (["--skip-cmds", "hello"], "hello is out of scope"),
                 (["--only-cmds", "nginx"], "hello is out of scope"),
                 (["--warn-after", "60s", "--timeout", "5s"], "the warning can never fire"),
                 (["--rules", "* = off; port:80 = 5s"], "rule 2 can never decide: rule 1"),
                 (["--log", os.path.join(s.dir, "logdir")], "is a directory"),
                 (["--log", os.path.join(s.dir, "fifo")], "is a FIFO"),
                 (["--log", "/dev/null"], "is a device"),
                 (["--log", os.path.join(s.dir, "missing", "x.log")], "its directory does not exist")]
        for args, want in cases:
            p = launch(args + ["--", HELLO, "0"])
            check(p.returncode == 0 and "arg=0" in p.stdout, "%s: the command must still run: %d" % (args, p.returncode))
            check(p.stderr.count(want) == 1 and len(p.stderr.splitlines()) == 1 and "warning" in p.stderr,
                  "%s: want one notice %r: %r" % (args, want, p.stderr))
            p = launch(["--strict"] + args + ["--", HELLO, "0"])
            refused(p, want, "--strict %s" % args)
            check("(--strict)" in p.stderr, p.stderr)
        # Under --strict an unknown variable and an unreachable program are errors too.
        refused(launch(["--strict", "--", HELLO, "0"], UNWEDGE_TIMOUT="5s"), "unknown variable UNWEDGE_TIMOUT",
                "--strict typo")
        refused(launch(["--strict", "--", HELLO_STATIC, "0"]), "statically linked", "--strict static")
        # Sane settings: not a word.
        p = launch(["--strict", "--warn-after", "2s", "--rules", "port:80 = 5s; * = off", "--", HELLO, "0"])
        check(p.returncode == 0 and p.stderr == "", "%d %r" % (p.returncode, p.stderr))


@test("launcher-checks/warnings-once-per-process-tree", production_only=True)
def once_per_tree():
    three = "%s 1; %s 2; sh -c '%s 3'" % (HELLO, HELLO, HELLO)
    # Through the launcher, and with the preload alone (LD_PRELOAD set by hand).
    p = launch(["--", "sh", "-c", three], UNWEDGE_TIMOUT="5s")
    check(p.stderr.count("unknown variable UNWEDGE_TIMOUT") == 1, "launcher: %r" % p.stderr)
    check(p.stdout.count("arg=") == 3, p.stdout)
    p = subprocess.run(["sh", "-c", three], env=base_env(LD_PRELOAD=LIB, UNWEDGE_TIMOUT="5s"), capture_output=True,
                       text=True, timeout=20)
    check(p.stderr.count("unknown variable UNWEDGE_TIMOUT") == 1, "preload: %r" % p.stderr)
    keep = dict(LD_PRELOAD=LIB, UNWEDGE_KEEPALIVE="30s,5s,3", UNWEDGE_TCP_USER_TIMEOUT="10s")
    p = subprocess.run(["sh", "-c", "sh -c '%s 0'" % HELLO], env=base_env(**keep), capture_output=True, text=True,
                       timeout=20)
    check(p.stderr.count("shorter than UNWEDGE_KEEPALIVE") == 1, "keepalive: %r" % p.stderr)
    # A child whose settings differ is not silenced: it hears about its own.
    p = subprocess.run(["sh", "-c", "UNWEDGE_TIMEOUT=30 %s 0" % HELLO], env=base_env(LD_PRELOAD=LIB,
                       UNWEDGE_TIMOUT="5s"), capture_output=True, text=True, timeout=20)
    check(p.stderr.count("unknown variable UNWEDGE_TIMOUT") == 2 and "UNWEDGE_TIMEOUT='30' is invalid" in p.stderr,
          "changed settings: %r" % p.stderr)


@test("launcher-checks/options-by-getopt-long-without-abbreviations", production_only=True)
def getopt():
    for args, want in ((["--time", "5s", "--", HELLO], "unknown option --time"),
                       (["--dry", "--", HELLO], "unknown option --dry"),
                       (["--cgroup=1", "--", HELLO], "takes no value: --cgroup=1"),
                       (["--bo\x1bgus", HELLO], "unknown option --bo\\x1bgus"),
                       (["--timeout"], "missing value for --timeout")):
        p = launch(args)
        check(p.returncode == 2 and want in p.stderr and "\x1b" not in p.stderr, "%r: %d %r" % (args, p.returncode, p.stderr))
    # Options stop at the first word that is not one: the rest belongs to the command.
    p = launch(["--timeout=2s", HELLO, "3", "--timeout", "9s"])
    check(p.returncode == 3 and "arg=--timeout" in p.stdout and "UNWEDGE_TIMEOUT=2s" in p.stdout, p.stdout)


@test("launcher-checks/subcommand-words-after-flags", production_only=True)
def subcommand_words():
    p = launch(["--timeout", "5s", "--rules", "port:80 = 1s", "config"])
    rows = dict(l.split()[0].split("=", 1) for l in p.stdout.splitlines() if l.startswith("UNWEDGE_"))
    check(p.returncode == 0 and rows.get("UNWEDGE_TIMEOUT") == "5s" and "(env)" in p.stdout, p.stdout)
    p = launch(["--timeout", "5s", "check", HELLO])
    check(p.returncode == 2 and "'check' is a command of unwedge" in p.stderr, p.stderr)
    p = launch(["help"])
    check(p.returncode == 2 and "unwedge --help" in p.stderr, p.stderr)
    p = launch([""])
    check(p.returncode == 127 and "empty command name" in p.stderr, p.stderr)


@test("launcher-checks/set-user-ID-warning-only-when-the-ids-change", production_only=True)
def setuid_same_ids():
    """The loader's secure mode (which drops LD_PRELOAD) applies only when the exec changes the
    ids: a set-user-ID-root program run by root is an ordinary exec, and protected."""
    check(os.geteuid() == 0, "needs root")
    from harness import WCLIENT
    with Scratch() as s:
        os.chmod(s.dir, 0o755)
        prog = os.path.join(s.dir, "wclient-suid")
        shutil.copy(WCLIENT, prog)
        os.chown(prog, 0, 0)
        os.chmod(prog, 0o4755)
        peer = s.peer("tcp4", "never")
        p = subprocess.run([LAUNCHER, "--timeout", "1s", "--", prog, peer.addr, "write"], env=base_env(),
                           capture_output=True, text=True, timeout=15)
        check("set-user-ID" not in p.stderr and '"errno": "ETIMEDOUT"' in p.stdout,
              "root running a set-user-ID-root program: %r %r" % (p.stdout, p.stderr))
        # Control: owned by another user, the exec changes the euid: unprotected, and said.
        os.chown(prog, 65534, 65534)
        os.chmod(prog, 0o4755)
        q = launch(["--dry-run", "--", prog])
        check("set-user-ID" in q.stdout, "owned by nobody: %r" % q.stdout)
