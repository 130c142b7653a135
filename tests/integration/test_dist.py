"""make dist: one tree per architecture in the one-LD_PRELOAD-value layout (the
glibc build and links to it at each name glibc's loader gives $LIB, the musl
build under a directory literally named $LIB), and its tarball. The musl side
as a container sees it: a minimal root holding only musl's loader, that tree
and musl-built test programs, where the musl launcher protects a wedged writer
and a stdio writer (controls: without it they hang)."""

import os
import subprocess
import tarfile
import threading

from harness import BUILD, ROOT, Scratch, base_env, check, finish, json_line, spawn, test

T_MS = 1000
VERSION = open(os.path.join(ROOT, "VERSION")).read().strip()
DIST = os.path.join(BUILD, "dist", "unwedge-" + VERSION)
MUSL = os.path.join(BUILD, "musl")
MUSL_LOADER = "/lib/ld-musl-x86_64.so.1"


_made = []
_lock = threading.Lock()


def make_dist():
    """make dist, once per run (the tests share the tree)."""
    with _lock:
        if not _made:
            p = subprocess.run(["make", "-s", "--no-print-directory", "dist"], cwd=ROOT, capture_output=True,
                               text=True, timeout=600)
            _made.append((p.returncode, p.stdout + p.stderr))
    rc, out = _made[0]
    check(rc == 0, "make dist: %s" % out)
    check(os.path.exists(os.path.join(MUSL, "libunwedge.so")), "no musl build: make builds it with musl-gcc")
    return os.path.join(DIST, "amd64")


@test("dist/one-value-tree-and-tarball", production_only=True)
def tree():
    amd64 = make_dist()
    lib = os.path.join(amd64, "lib", "unwedge")
    glibc = os.path.join(lib, "libunwedge.so")
    for name in ("lib/x86_64-linux-gnu", "lib64", "lib"):
        check(os.path.samefile(os.path.join(lib, name, "libunwedge.so"), glibc), "%s/ is not the glibc build" % name)
    musl = os.path.join(lib, "$LIB", "libunwedge.so")
    check(open(musl, "rb").read() == open(os.path.join(MUSL, "libunwedge.so"), "rb").read(), "$LIB/ is not musl's")
    check(os.access(os.path.join(amd64, "bin", "unwedge"), os.X_OK) and
          os.access(os.path.join(amd64, "bin", "unwedge-musl"), os.X_OK), "launchers missing")
    with tarfile.open(DIST + ".tar.gz") as t:
        names = set(t.getnames())
    check("unwedge-%s/amd64/lib/unwedge/$LIB/libunwedge.so" % VERSION in names, "tarball: %s" % sorted(names))
    # Each loader takes its own build from the one value.
    value = os.path.join(lib, "$LIB", "libunwedge.so")
    for program, want in ((os.path.join(BUILD, "tests", "hello"), glibc), (os.path.join(MUSL, "tests", "hello"), musl)):
        p = subprocess.run([program], env=base_env(LD_PRELOAD=value, HELLO_MAPS=1), capture_output=True, text=True,
                           timeout=10)
        mapped = [os.path.realpath(x[7:]) for x in p.stdout.splitlines() if x.startswith("mapped=")]
        check(p.returncode == 0 and mapped == [os.path.realpath(want)], "%s: %r %r" % (program, p.stdout, p.stderr))


def musl_root(s, amd64):
    """A root with nothing but musl's loader (which is its libc), the dist tree in
    /opt/unwedge and the musl test programs in /bin."""
    root = os.path.join(s.dir, "root")
    for d in ("lib", "bin", "opt", "proc", "tmp"):
        os.makedirs(os.path.join(root, d))
    subprocess.run(["cp", MUSL_LOADER, os.path.join(root, "lib")], check=True)
    subprocess.run(["cp", "-a", amd64, os.path.join(root, "opt", "unwedge")], check=True)
    for prog in ("wclient", "wstdio"):
        subprocess.run(["cp", os.path.join(MUSL, "tests", prog), os.path.join(root, "bin")], check=True)
    return root


def in_root(root, argv, timeout):
    """argv run chrooted in root, with /proc mounted there (the launcher finds its
    preload from /proc/self/exe), in a mount namespace of its own."""
    script = 'mount -t proc proc "$1/proc" && exec chroot "$@"'
    return finish(spawn(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", root] + argv,
                        env=base_env()), timeout)


WRITERS = {"wclient": ["write", "--after-fail", 1], "wstdio": ["fprintf-fflush"]}


def musl_container(prog, launcher):
    amd64 = make_dist()
    with Scratch() as s:
        root = musl_root(s, amd64)
        peer = s.peer("tcp4", "never")
        prefix = ["/opt/unwedge/bin/unwedge-musl", "--timeout", "%dms" % T_MS, "--"] if launcher else []
        out, err, rc = in_root(root, prefix + ["/bin/" + prog, peer.addr] + [str(a) for a in WRITERS[prog]],
                               20 if launcher else T_MS / 1000 + 2)
    if not launcher:
        check(rc is None, "without the launcher %s did not hang: %r %r" % (prog, out, err))
        return
    res = json_line(out or "", '"calls"')
    check(rc == 0 and res, "%s in the musl root: rc %s %r %r" % (prog, rc, out, err[-500:]))
    check(res.get("errno") == "ETIMEDOUT", "%s not protected: %s" % (prog, res))
    check("write timed out" in err and "unwedge: warning" not in err, "log: %r" % err[-500:])


for prog in WRITERS:
    test("dist/musl-root/%s" % prog, production_only=True)(lambda prog=prog: musl_container(prog, True))
    test("dist/musl-root/%s/control" % prog, production_only=True)(lambda prog=prog: musl_container(prog, False))
