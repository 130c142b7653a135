"""The Debian package: dpkg-buildpackage -us -uc -b, in a copy of the source
tree, builds unwedge_VERSION_amd64.deb; lintian reports no error; the package
holds the launcher, the preloads in the one-value layout, the man pages and the
examples; unpacked, its launcher protects a wedged glibc writer and a wedged
musl writer with the one value, and without it the write hangs."""

import glob
import os
import shutil
import subprocess

from harness import BUILD, ROOT, Scratch, base_env, check, finish, json_line, spawn, test

T_MS = 1000
VERSION = open(os.path.join(ROOT, "VERSION")).read().strip()


def build_package(s):
    for tool in ("dpkg-buildpackage", "dh", "lintian"):
        check(shutil.which(tool), "needs %s (dpkg-dev, debhelper, lintian: tools/install-deps)" % tool)
    src = os.path.join(s.dir, "unwedge")
    files = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split("\0")
    for f in files:
        if f and os.path.exists(os.path.join(ROOT, f)):
            os.makedirs(os.path.dirname(os.path.join(src, f)), exist_ok=True)
            shutil.copy2(os.path.join(ROOT, f), os.path.join(src, f), follow_symlinks=False)
    p = subprocess.run(["dpkg-buildpackage", "-us", "-uc", "-b"], cwd=src, capture_output=True, text=True,
                       timeout=900)
    check(p.returncode == 0, "dpkg-buildpackage: %s" % (p.stdout + p.stderr)[-2000:])
    deb = os.path.join(s.dir, "unwedge_%s_amd64.deb" % VERSION)
    check(os.path.exists(deb), "no %s: %s" % (deb, glob.glob(s.dir + "/*")))
    return deb


def wedged(launcher, program, peer):
    return finish(spawn([launcher, "--timeout", "%dms" % T_MS, "--", program, peer.addr, "write", "--after-fail", "1"],
                        env=base_env()), 20)


@test("package/deb-builds-lints-and-protects", serial=True, production_only=True)
def deb():
    with Scratch() as s:
        pkg = build_package(s)
        p = subprocess.run(["lintian", pkg], capture_output=True, text=True, timeout=300)
        errors = [line for line in p.stdout.splitlines() if line.startswith("E:")]
        check(not errors, "lintian errors: %s" % errors)
        p = subprocess.run(["dpkg-deb", "-c", pkg], capture_output=True, text=True, timeout=60)
        for want in ("./usr/bin/unwedge", "./usr/lib/unwedge/libunwedge.so", "./usr/lib/unwedge/$LIB/libunwedge.so",
                     "./usr/share/man/man1/unwedge.1.gz", "./usr/share/man/man7/unwedge.7.gz",
                     "./usr/share/doc/unwedge/examples/docker/Dockerfile"):
            check(" %s" % want in p.stdout, "%s not in the package:\n%s" % (want, p.stdout))
        root = os.path.join(s.dir, "root")
        subprocess.run(["dpkg-deb", "-x", pkg, root], check=True, timeout=60)
        launcher = os.path.join(root, "usr", "bin", "unwedge")
        for program in (os.path.join(BUILD, "tests", "wclient"), os.path.join(BUILD, "musl", "tests", "wclient")):
            peer = s.peer("tcp4", "never")
            out, err, rc = wedged(launcher, program, peer)
            res = json_line(out or "", '"calls"')
            check(rc == 0 and res and res["errno"] == "ETIMEDOUT" and T_MS <= res["short_ms"] <= T_MS + 500,
                  "%s under the packaged launcher: rc %s %s %r" % (program, rc, res, err[-400:]))
            check("write timed out" in err and "warning" not in err, "log: %r" % err[-400:])
        peer = s.peer("tcp4", "never")
        out, err, rc = finish(spawn([os.path.join(BUILD, "musl", "tests", "wclient"), peer.addr, "write"],
                                    env=base_env()), T_MS / 1000 + 1.5)
        check(rc is None, "without the launcher the write did not hang: %r" % out)
