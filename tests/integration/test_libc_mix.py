"""One LD_PRELOAD value for glibc and musl programs alike: the one-value layout
of the build tree (build/$LIB/libunwedge.so: glibc's loader expands $LIB to
its own directory name, musl's takes it literally, see the Makefile). A glibc
program starts musl programs and a musl program starts glibc ones (posix_spawn
and vfork + exec, under SIGALRM), all with that one value: none exits 127
("invalid ELF header"), the parent's own wedged write and each child's time out,
and each process has the build for its own libc mapped. Controls: the same
without the preload hangs; the musl build alone in a glibc program is the exit
127 this layout avoids."""

import errno
import json
import os
import subprocess

from harness import BUILD, ONE_VALUE, Scratch, base_env, check, json_line, run_group, test

T_MS = 1000
MUSL = os.path.join(BUILD, "musl")
PROGRAMS = {"glibc": os.path.join(BUILD, "tests"), "musl": os.path.join(MUSL, "tests")}


def needs_musl():
    check(os.path.exists(os.path.join(MUSL, "libunwedge.so")) and os.path.exists(ONE_VALUE),
          "the musl build is missing: make builds it when musl-gcc is installed (musl-tools)")


def spawned(parent, child, env, limit):
    """wspawn of libc `parent` starting wclient of libc `child` twice, each on its
    own wedged peer: (stdout, stderr, rc), rc None if still running at limit."""
    with Scratch() as s:
        p1, p2 = s.peer("tcp4", "never"), s.peer("unix", "never")
        return run_group([os.path.join(PROGRAMS[parent], "wspawn"), os.path.join(PROGRAMS[child], "wclient"),
                          p1.addr, p2.addr], env, limit)


def mixed(parent, child):
    needs_musl()
    env = base_env(LD_PRELOAD=ONE_VALUE, UNWEDGE_TIMEOUT="%dms" % T_MS)
    out, err, rc = spawned(parent, child, env, 20)
    check(rc == 0, "the %s parent failed (rc %s): %r" % (parent, rc, err[-500:]))
    status = json_line(out, '"spawn_status"')
    check(status == {"spawn_status": 0, "vfork_status": 0},
          "the %s children's exit statuses: %s (127: the wrong preload) %r" % (child, status, err[-300:]))
    writer = json_line(out, '"writer_errno"')
    check(writer == {"writer_errno": errno.ETIMEDOUT}, "the %s parent's own wedged write: %s" % (parent, writer))
    kids = [json.loads(line) for line in out.splitlines() if line.startswith("{") and '"calls"' in line]
    check(len(kids) == 2, "want two children's results: %r" % out)
    for k in kids:
        check(k["errno"] == "ETIMEDOUT" and T_MS <= k["short_ms"] <= T_MS + 500 and k["after_errno"] == "ETIMEDOUT",
              "a %s child was not protected: %s" % (child, k))
    check(err.count("write timed out") == 3, "want three timeouts logged (parent, two children): %r" % err[-900:])


def mapped_build(program):
    """The libunwedge.so files the loader of `program` (hello) mapped."""
    p = subprocess.run([program], env=base_env(LD_PRELOAD=ONE_VALUE, HELLO_MAPS=1), capture_output=True, text=True,
                       timeout=10)
    check(p.returncode == 0, "%s: rc %d %r" % (program, p.returncode, p.stderr))
    return {os.path.realpath(line[7:]) for line in p.stdout.splitlines() if line.startswith("mapped=")}


@test("libc-mix/glibc-starts-musl", production_only=True)
def glibc_starts_musl():
    mixed("glibc", "musl")


@test("libc-mix/musl-starts-glibc", production_only=True)
def musl_starts_glibc():
    mixed("musl", "glibc")


@test("libc-mix/control", production_only=True)
def mix_control():
    needs_musl()
    out, err, rc = spawned("musl", "glibc", base_env(), T_MS / 1000 + 2)
    check(rc is None, "without the preload the first child did not hang: %r" % out)


@test("libc-mix/each-loader-maps-its-own-build", production_only=True)
def own_build():
    needs_musl()
    for libc, want in (("glibc", os.path.join(BUILD, "libunwedge.so")), ("musl", os.path.join(MUSL, "libunwedge.so"))):
        got = mapped_build(os.path.join(PROGRAMS[libc], "hello"))
        check(got == {os.path.realpath(want)}, "a %s program mapped %s, want %s" % (libc, got, want))


@test("libc-mix/musl-build-in-a-glibc-program-control", production_only=True)
def wrong_build_control():
    """What the layout avoids: the musl build in LD_PRELOAD of a glibc program."""
    needs_musl()
    p = subprocess.run([os.path.join(BUILD, "tests", "hello")], capture_output=True, text=True, timeout=10,
                       env=base_env(LD_PRELOAD=os.path.join(MUSL, "libunwedge.so")))
    check(p.returncode == 127 and "invalid ELF header" in p.stderr, "rc %d %r" % (p.returncode, p.stderr))
