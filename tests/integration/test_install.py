"""Install and deploy. `make install` (PREFIX, DESTDIR) and `make uninstall`; the installed launcher
finds its preload in ../lib/unwedge/ and stops a real wedge; the man pages render without a warning
and document every option; and the examples in examples/, run as far as this machine allows: the
Dockerfile's stages executed in chroots of Debian 12 made with debootstrap (the image it names), its
ENTRYPOINT run with a wedged peer; the systemd drop-ins through `systemd-analyze verify` and with the
environment or command line they give the service; the Kubernetes snippet's init container and
environment in chroots. No Docker engine, no Kubernetes cluster, systemd is not PID 1: the README
lists what that leaves untested.

The Debian root and the result of each cacheable RUN line are kept in UNWEDGE_TEST_CACHE
(default /var/cache/unwedge-tests), outside the repository: the first run takes about a minute
(debootstrap, then the build stage's apt-get), later ones a few seconds."""

import atexit
import fcntl
import fnmatch
import glob
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import tempfile
import threading
import time

from harness import (BUILD, LAUNCHER, ROOT, WCLIENT, Failure, Scratch, base_env, check, finish, json_line,
                     spawn, test)

HELLO = os.path.join(BUILD, "tests", "hello")
T_MS = 1000
OPTIONAL_LIBS = ["libunwedge-backtrace.so"]
EXAMPLES = os.path.join(ROOT, "examples")
DOCKERFILE = os.path.join(EXAMPLES, "docker", "Dockerfile")
CACHE = os.environ.get("UNWEDGE_TEST_CACHE", "/var/cache/unwedge-tests")
# What `docker run` gives a container that sets no PATH of its own.
DOCKER_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
# The images the Dockerfile may name, and what stands for them here.
DEBIAN_IMAGES = {"debian:12", "debian:12-slim", "debian:bookworm", "debian:bookworm-slim"}


def glibc_lib():
    """glibc's expansion of $LIB, as the Makefile finds it: the directory of its libc.so.6 below /usr."""
    libc = subprocess.run(["cc", "-print-file-name=libc.so.6"], capture_output=True, text=True).stdout.strip()
    d = os.path.dirname(os.path.realpath(libc))
    return d[len("/usr/"):] if d.startswith("/usr/") else d[1:]


def one_value_files(libdir):
    """The one-LD_PRELOAD-value layout make install adds when the musl build is there."""
    if not os.path.exists(os.path.join(BUILD, "musl", "libunwedge.so")):
        return {}
    want = {libdir + "/$LIB/libunwedge.so": 0o644, "%s/%s/libunwedge.so" % (libdir, glibc_lib()): 0o644}
    for lib in OPTIONAL_LIBS:
        if os.path.exists(os.path.join(BUILD, lib)):
            want["%s/%s/%s" % (libdir, glibc_lib(), lib)] = 0o644
    return want


def run(argv, timeout=120, **kw):
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, **kw)


def make_install(dest, prefix, extra=()):
    p = run(["make", "-s", "--no-print-directory", "install", "DESTDIR=" + dest, "PREFIX=" + prefix] + list(extra),
            timeout=300, cwd=ROOT)
    check(p.returncode == 0, "make install failed (%d): %s%s" % (p.returncode, p.stdout, p.stderr))


def files_under(top):
    out = {}
    for d, _, names in os.walk(top):
        for n in names:
            path = os.path.join(d, n)
            out[os.path.relpath(path, top)] = os.stat(path).st_mode & 0o7777
    return out


def same_bytes(a, b):
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def wedge_result(p, what, t_ms=T_MS):
    """A wclient run that must have failed at the deadline, with the preload's log line."""
    out, err, rc = finish(p, t_ms / 1000 + 10)
    check(rc is not None, "%s: the client was still blocked: the preload did not act\n%s" % (what, err[-2000:]))
    res = json_line(out, '"calls"')
    check(res is not None, "%s: wclient printed no result (rc=%s): %r %r" % (what, rc, out[-1000:], err[-2000:]))
    check(res["errno"] == "ETIMEDOUT", "%s: errno %s, want ETIMEDOUT: %s" % (what, res["errno"], res))
    check(t_ms <= res["short_ms"] <= t_ms + 500,
          "%s: the wedged write took %.0f ms, want %d..%d" % (what, res["short_ms"], t_ms, t_ms + 500))
    check("write timed out" in err, "%s: no log line for the timeout: %r" % (what, err[-2000:]))
    return res, err


def still_blocked(p, what, t_ms=T_MS):
    out, err, rc = finish(p, t_ms / 1000 + 1.5)
    check(rc is None, "%s (control): without the preload the write did not hang: rc=%s %r %r"
          % (what, rc, out[-500:], err[-500:]))


def wclient_args(addr):
    return [addr, "write", "--after-fail", "1", "--total", str(64 << 20)]


def shorten_timeout(argv, value="%dms" % T_MS):
    """The example's own launcher arguments with the --timeout value replaced, so that the wedge
    takes T rather than the example's 30 s. Everything else is as written."""
    out = list(argv)
    for i, a in enumerate(out):
        if a == "--":
            break
        if a == "--timeout" and i + 1 < len(out):
            out[i + 1] = value
            return out
        if a.startswith("--timeout="):
            out[i] = "--timeout=" + value
            return out
    raise Failure("no --timeout before '--' in %s" % argv)


def uw_options():
    """(variable, flag) pairs of the uw_options table in src/config.c: the variables the
    preload reads and the launcher's flags for them."""
    src = open(os.path.join(ROOT, "src", "config.c")).read()
    pairs = re.findall(r'\{\s*"(UNWEDGE_[A-Z0-9_]+)",\s*"(--[a-z0-9-]+)"', src)
    check(len(pairs) >= 6, "cannot read the uw_options table in src/config.c: %s" % pairs)
    return pairs


def real_variables():
    return {v for v, _ in uw_options()} | {"UNWEDGE_CGROUP", "UNWEDGE_WARNED"}


def roff_text(path):
    """The page's text with roff escapes for '-' undone, fonts dropped: what a reader searches."""
    t = open(path).read().replace("\\-", "-").replace("\\(aq", "'")
    return re.sub(r"\\f[BIRP]", "", t)


def mentions(text, word):
    return re.search(r"(?<![A-Za-z0-9_-])%s(?![A-Za-z0-9_-])" % re.escape(word), text) is not None


# --- make install ---------------------------------------------------------------------------

@test("install/make-install-layout-and-uninstall", production_only=True)
def install_layout():
    """PREFIX and DESTDIR put exactly the launcher, the preload, the man pages and the docs where
    they belong, byte for byte the build's; an optional helper object is installed when the build
    has one; `make uninstall` removes every file again."""
    with Scratch() as s:
        dest = os.path.join(s.dir, "stage")
        make_install(dest, "/usr")
        got = files_under(dest)
        want = {"usr/bin/unwedge": 0o755, "usr/lib/unwedge/libunwedge.so": 0o644,
                "usr/share/man/man1/unwedge.1": 0o644, "usr/share/man/man7/unwedge.7": 0o644,
                "usr/share/doc/unwedge/README.md": 0o644, "usr/share/doc/unwedge/guarantees.md": 0o644}
        for lib in OPTIONAL_LIBS:
            if os.path.exists(os.path.join(BUILD, lib)):
                want["usr/lib/unwedge/" + lib] = 0o644
        want.update(one_value_files("usr/lib/unwedge"))
        check(got == want, "installed files and modes:\n  got  %s\n  want %s" % (sorted(got.items()), sorted(want.items())))
        for rel, src in (("usr/bin/unwedge", os.path.join(BUILD, "unwedge")),
                         ("usr/lib/unwedge/libunwedge.so", os.path.join(BUILD, "libunwedge.so")),
                         ("usr/share/man/man7/unwedge.7", os.path.join(ROOT, "man", "unwedge.7"))):
            check(same_bytes(os.path.join(dest, rel), src), "%s differs from %s" % (rel, src))
        if one_value_files("usr/lib/unwedge"):
            musl = os.path.join(dest, "usr/lib/unwedge/$LIB/libunwedge.so")
            check(same_bytes(musl, os.path.join(BUILD, "musl", "libunwedge.so")), "%s is not the musl build" % musl)
            glibc = os.path.join(dest, "usr/lib/unwedge", glibc_lib(), "libunwedge.so")
            check(os.path.samefile(glibc, os.path.join(dest, "usr/lib/unwedge/libunwedge.so")),
                  "%s is not the installed glibc build" % glibc)
        p = run(["make", "-s", "--no-print-directory", "uninstall", "DESTDIR=" + dest, "PREFIX=/usr"], cwd=ROOT)
        check(p.returncode == 0, "make uninstall failed: %s%s" % (p.stdout, p.stderr))
        check(files_under(dest) == {}, "left behind by make uninstall: %s" % files_under(dest))
        check(not os.path.exists(os.path.join(dest, "usr/lib/unwedge")), "usr/lib/unwedge not removed")

        # The optional helper, from a build directory that has one (the real objects copied, the
        # helper a stand-in; -o: nothing is rebuilt there).
        fake = os.path.join(s.dir, "fakebuild")
        os.mkdir(fake)
        for f in ("unwedge", "libunwedge.so"):
            shutil.copy2(os.path.join(BUILD, f), fake)
        for lib in OPTIONAL_LIBS:
            with open(os.path.join(fake, lib), "w") as f:
                f.write("stand-in for " + lib)
        old = []
        for f in ["unwedge", "libunwedge.so"] + OPTIONAL_LIBS:
            old += ["-o", os.path.join(fake, f)]
        dest2 = os.path.join(s.dir, "stage2")
        make_install(dest2, "/opt/uw", old + ["BUILD=" + fake])
        for lib in OPTIONAL_LIBS:
            path = os.path.join(dest2, "opt/uw/lib/unwedge", lib)
            check(os.path.exists(path) and same_bytes(path, os.path.join(fake, lib)),
                  "%s present in the build but not installed next to libunwedge.so: %s"
                  % (lib, sorted(files_under(dest2))))
        p = run(["make", "-s", "--no-print-directory", "uninstall", "DESTDIR=" + dest2, "PREFIX=/opt/uw"], cwd=ROOT)
        check(p.returncode == 0 and files_under(dest2) == {}, "uninstall left %s" % files_under(dest2))


@test("install/installed-launcher-finds-its-preload-and-stops-a-wedge", production_only=True)
def installed_launcher():
    """From a DESTDIR staging tree (PREFIX=/usr), bin/unwedge preloads lib/unwedge/libunwedge.so of
    that tree (found through ../lib/unwedge/, nothing else is next to it) and a write to a peer
    that never reads fails at T; the same client without it hangs. Without the library the
    launcher warns once and still runs the command."""
    with Scratch() as s:
        dest = os.path.join(s.dir, "stage")
        make_install(dest, "/usr")
        launcher = os.path.join(dest, "usr/bin/unwedge")
        installed = lib = os.path.realpath(os.path.join(dest, "usr/lib/unwedge/libunwedge.so"))
        if one_value_files("usr/lib/unwedge"):
            lib = os.path.join(os.path.dirname(lib), "$LIB", "libunwedge.so")  # the one value
        check(sorted(os.listdir(os.path.dirname(launcher))) == ["unwedge"], "bin/ holds more than the launcher")
        p = run([launcher, "--timeout", "1s", "--", HELLO, "5"], env=base_env())
        check(p.returncode == 5 and "LD_PRELOAD=%s" % lib in p.stdout.splitlines() and p.stderr == "",
              "the installed launcher did not preload its own library: rc=%d %r %r" % (p.returncode, p.stdout, p.stderr))

        peer = s.peer("tcp4", "never")
        wedge_result(spawn([launcher, "--timeout", "%dms" % T_MS, "--", WCLIENT] + wclient_args(peer.addr),
                           env=base_env()), "installed launcher")
        peer2 = s.peer("tcp4", "never")
        still_blocked(spawn([WCLIENT] + wclient_args(peer2.addr), env=base_env()), "installed launcher")

        os.rename(installed, installed + ".away")
        p = run([launcher, "--", HELLO, "3"], env=base_env())
        check(p.returncode == 3 and "LD_PRELOAD" not in p.stdout and "not found" in p.stderr
              and len(p.stderr.splitlines()) == 1, "without the library: rc=%d %r %r" % (p.returncode, p.stdout, p.stderr))


# --- man pages ------------------------------------------------------------------------------

def lint(page):
    """Warnings from groff -ww and mandoc -Tlint -Wwarning (style notes aside), and man's own run."""
    problems = []
    p = run(["groff", "-man", "-Tutf8", "-ww", "-z", page])
    if p.returncode != 0 or p.stderr.strip():
        problems.append("groff: rc=%d %s" % (p.returncode, p.stderr.strip()))
    if not shutil.which("mandoc"):
        problems.append("mandoc is not installed (tools/install-deps)")
    else:
        p = run(["mandoc", "-Tlint", "-Wwarning", page])
        if p.returncode != 0 or (p.stdout + p.stderr).strip():
            problems.append("mandoc: rc=%d %s" % (p.returncode, (p.stdout + p.stderr).strip()))
    p = run(["man", "--warnings", "-l", page], env=base_env(MANWIDTH="80", PAGER="cat"))
    if p.returncode != 0 or p.stderr.strip() or "NAME" not in p.stdout:
        problems.append("man -l: rc=%d %s" % (p.returncode, p.stderr.strip()))
    return problems


@test("install/man-pages-render-without-warnings", production_only=True)
def man_pages_render():
    """The installed unwedge(1) and unwedge(7) render without one warning from groff -ww,
    mandoc -Tlint or man, and `man` finds them in PREFIX/share/man. Control: a page with a broken
    macro and an unknown escape does get warnings from the same checks."""
    with Scratch() as s:
        dest = os.path.join(s.dir, "stage")
        make_install(dest, "/usr")
        mandir = os.path.join(dest, "usr/share/man")
        for sec in ("1", "7"):
            page = os.path.join(mandir, "man" + sec, "unwedge." + sec)
            problems = lint(page)
            check(not problems, "unwedge(%s): %s" % (sec, "\n".join(problems)))
            p = run(["man", "-M", mandir, sec, "unwedge"], env=base_env(MANWIDTH="80", PAGER="cat"))
            check(p.returncode == 0 and ("UNWEDGE(%s)" % sec) in p.stdout,
                  "man -M %s %s unwedge: rc=%d %s" % (mandir, sec, p.returncode, p.stderr))
        bad = os.path.join(s.dir, "bad.7")
        with open(bad, "w") as f:
            f.write('.TH BAD 7 2025-01-01 "x" "y"\n.SH NAME\nbad \\- a control\n.SH DESCRIPTION\n'
                    '.XY not a macro\nan \\q unknown escape\n.RS\n')
        problems = lint(bad)
        check(any(p.startswith("groff") for p in problems) and any(p.startswith("mandoc") for p in problems),
              "the checks did not catch a broken page: %s" % problems)


@test("install/man-pages-document-every-option-and-command", production_only=True)
def man_pages_complete():
    """Every variable of src/config.c's uw_options table is in unwedge(7) and its flag in
    unwedge(1); every flag that `unwedge --help`, `unwedge cgroup --help`, `unwedge rescue --help`
    and `unwedge watch --help` print is in unwedge(1); so are the commands. A new option without its documentation fails here."""
    page1 = roff_text(os.path.join(ROOT, "man", "unwedge.1"))
    page7 = roff_text(os.path.join(ROOT, "man", "unwedge.7"))
    missing = []
    for var, flag in uw_options():
        if not mentions(page7, var):
            missing.append("%s not in unwedge(7)" % var)
        if not mentions(page1, flag):
            missing.append("%s not in unwedge(1)" % flag)
    for args in (["--help"], ["cgroup", "--help"], ["rescue", "--help"], ["watch", "--help"]):
        p = run([LAUNCHER] + args, env=base_env())
        check(p.returncode == 0, "unwedge %s: rc=%d" % (" ".join(args), p.returncode))
        for flag in sorted(set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", p.stdout))):
            if not mentions(page1, flag):
                missing.append("%s (unwedge %s) not in unwedge(1)" % (flag, " ".join(args)))
    for words in ("unwedge check", "unwedge config", "unwedge stat", "unwedge cgroup attach",
                  "unwedge cgroup detach", "unwedge cgroup status", "unwedge cgroup check", "unwedge rescue",
                  "unwedge watch"):
        if not re.search(r"^\.B %s\b" % re.escape(words), page1, re.M):
            missing.append("'%s' not in the synopsis of unwedge(1)" % words)
    check(not missing, "\n".join(missing))


# --- chroots: a stand-in for container images ------------------------------------------------

def _mirror():
    """The Debian mirror this machine's apt uses for bookworm."""
    files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*"))
    for path in files:
        try:
            text = open(path).read()
        except OSError:
            continue
        m = re.search(r"^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+bookworm\s", text, re.M)
        if m:
            return m.group(1)
        for stanza in re.split(r"\n\s*\n", text):
            fields = dict(re.findall(r"^([A-Za-z-]+):\s*(.*)$", stanza, re.M))
            if "bookworm" in fields.get("Suites", "").split() and fields.get("URIs"):
                return fields["URIs"].split()[0]
    return "http://deb.debian.org/debian"


_cache_lock = threading.Lock()


def cached(name, create, timeout=900):
    """CACHE/name, made once by create(tmpdir) under a lock that other test runs honour too."""
    os.makedirs(CACHE, exist_ok=True)
    path = os.path.join(CACHE, name)
    with _cache_lock, open(os.path.join(CACHE, ".lock"), "w") as lk:
        end = time.time() + timeout
        while True:
            try:
                fcntl.flock(lk, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                check(time.time() < end, "%s: the cache lock is still held after %d s" % (CACHE, timeout))
                time.sleep(1)
        try:
            if not os.path.isdir(path):
                tmp = path + ".tmp"
                shutil.rmtree(tmp, ignore_errors=True)
                create(tmp)
                os.rename(tmp, path)
        finally:
            fcntl.flock(lk, fcntl.LOCK_UN)
    os.utime(path)
    return path


def prune_cache(days=7):
    """Layers of RUN lines that changed since: not used for a week (cached() touches what it
    hands out), removed under the lock."""
    with _cache_lock, open(os.path.join(CACHE, ".lock"), "w") as lk:
        try:
            fcntl.flock(lk, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        try:
            for d in glob.glob(os.path.join(CACHE, "layer-*")):
                if time.time() - os.stat(d).st_mtime > days * 86400:
                    shutil.rmtree(d, ignore_errors=True)
        finally:
            fcntl.flock(lk, fcntl.LOCK_UN)


def debian_root():
    """Debian 12 as `debootstrap --variant=minbase` makes it: about 200 MB, 30 s here."""
    def create(tmp):
        check(shutil.which("debootstrap"), "debootstrap is not installed (tools/install-deps)")
        p = run(["debootstrap", "--variant=minbase", "bookworm", tmp, _mirror()], timeout=900)
        check(p.returncode == 0, "debootstrap failed (%d): %s" % (p.returncode, (p.stdout + p.stderr)[-3000:]))
    return cached("bookworm-minbase", create)


# Mounts an overlay of the layers (top first) with a fresh upper directory, /proc, /dev, the
# host's resolv.conf and the bind mounts, then runs the command in a chroot at the working
# directory, in a private mount namespace: everything is unmounted when it ends.
_CONTAINER_SH = r'''
set -e
lower=$1 upper=$2 work=$3 m=$4 dir=$5 n=$6
shift 6
mount -t overlay overlay -o "lowerdir=$lower,upperdir=$upper,workdir=$work" "$m"
mount -t proc proc "$m/proc"
mount --bind /dev "$m/dev"
if [ -f /etc/resolv.conf ]; then
	rm -f "$m/etc/resolv.conf"; touch "$m/etc/resolv.conf"
	mount --bind /etc/resolv.conf "$m/etc/resolv.conf"
fi
while [ "$n" -gt 0 ]; do
	mkdir -p "$m$2"
	mount --bind "$1" "$m$2"
	if [ "$3" = ro ]; then mount -o remount,bind,ro "$m$2"; fi
	shift 3
	n=$((n - 1))
done
mkdir -p "$m$dir"
exec chroot "$m" /usr/bin/env -C "$dir" -- "$@"
'''


def container(layers, argv, env, tmp, binds=(), workdir="/"):
    """Starts argv in a container made of layers; returns (Popen, upper): the upper directory is
    the layer this run wrote."""
    run_dir = tempfile.mkdtemp(prefix="run.", dir=tmp)
    upper, work, merged = (os.path.join(run_dir, d) for d in ("upper", "work", "merged"))
    for d in (upper, work, merged):
        os.mkdir(d)
    flat = []
    for src, dst, mode in binds:
        flat += [src, dst, mode]
    cmd = (["unshare", "-m", "--propagation", "private", "sh", "-c", _CONTAINER_SH, "sh",
            ":".join(layers), upper, work, merged, workdir, str(len(binds))] + flat + list(argv))
    return spawn(cmd, env=env), upper


def in_container(layers, argv, env, tmp, timeout, what, binds=(), workdir="/"):
    p, upper = container(layers, argv, env, tmp, binds, workdir)
    out, err, rc = finish(p, timeout)
    check(rc == 0, "%s: rc=%s\n%s%s" % (what, rc, out[-3000:], err[-3000:]))
    return upper




def copy_into(src, dst):
    """cp -a with COPY's rule: a directory's contents, or the file itself."""
    if os.path.isdir(src):
        os.makedirs(dst, exist_ok=True)
        p = run(["cp", "-a", src.rstrip("/") + "/.", dst])
    else:
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        p = run(["cp", "-a", src, dst])
    check(p.returncode == 0, "cp %s %s: %s" % (src, dst, p.stderr))


def read_only_view(layers, tmp, paths):
    """Copies paths out of the merged view of layers (a stage's file system) into a directory."""
    out = tempfile.mkdtemp(prefix="view.", dir=tmp)
    m = tempfile.mkdtemp(prefix="m.", dir=tmp)
    script = ('set -e; m=$1; out=$2; lower=$3; shift 3; mount -t overlay overlay -o "lowerdir=$lower" "$m"; '
              'for p in "$@"; do mkdir -p "$out$(dirname "$p")"; cp -a "$m$p" "$out$p"; done')
    p = run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh", m, out, ":".join(layers)]
            + list(paths))
    check(p.returncode == 0, "cannot read %s from the build stage: %s" % (paths, p.stderr))
    return out


# --- the Dockerfile ---------------------------------------------------------------------------

def dockerfile_instructions(path):
    """(INSTRUCTION, arguments, line) with continuation lines joined and comments dropped."""
    out, cur, start = [], "", 0
    for n, line in enumerate(open(path).read().splitlines(), 1):
        if line.strip().startswith("#") or (not cur and not line.strip()):
            continue
        if not cur:
            start = n
        if line.rstrip().endswith("\\"):
            cur += line.rstrip()[:-1] + " "
            continue
        cur += line
        word, _, rest = cur.strip().partition(" ")
        out.append((word.upper(), rest.strip(), start))
        cur = ""
    check(not cur, "%s ends inside a continued line" % path)
    return out


def docker_stages(path):
    stages, cur = [], None
    for instr, args, line in dockerfile_instructions(path):
        if instr == "FROM":
            m = re.match(r"(\S+)(?:\s+AS\s+(\S+))?$", args, re.I)
            check(m, "line %d: FROM %s" % (line, args))
            cur = {"from": m.group(1), "name": m.group(2) or str(len(stages)), "steps": [], "line": line}
            stages.append(cur)
        else:
            check(cur is not None, "line %d: %s before FROM" % (line, instr))
            cur["steps"].append((instr, args, line))
    check(len(stages) >= 2, "the Dockerfile should have a build stage and a final stage: %s" % stages)
    return stages


def exec_form(args, what):
    try:
        v = json.loads(args)
    except ValueError:
        v = None
    check(isinstance(v, list) and v and all(isinstance(a, str) for a in v),
          "%s %s is not in exec (JSON) form: a shell between the runtime and unwedge would keep "
          "signals from the daemon" % (what, args))
    return v


def install_deps_packages():
    text = open(os.path.join(ROOT, "tools", "install-deps")).read()
    m = re.search(r'^pkgs="([^"]*)"', text, re.M)
    check(m, "no pkgs= line in tools/install-deps")
    return set(m.group(1).split())


def sanity_check_run_lines(stage):
    """Before running anything: the make targets a RUN line names exist (make -n), and the
    packages it installs are among those tools/install-deps installs for the project's own build."""
    known = install_deps_packages()
    for instr, args, line in stage["steps"]:
        if instr != "RUN":
            continue
        for cmd in re.split(r"&&|\|\||;", args):
            words = shlex.split(cmd)
            if words[:1] == ["make"]:
                targets = [w for w in words[1:] if not w.startswith("-") and "=" not in w] or ["all"]
                for t in targets:
                    p = run(["make", "-n", t, "DESTDIR=/nonexistent-dry-run"], cwd=ROOT)
                    check(p.returncode == 0, "line %d: make target %r: %s" % (line, t, p.stderr.strip()))
            if words[:2] == ["apt-get", "install"]:
                pkgs = [w for w in words[2:] if not w.startswith("-")]
                extra = [p for p in pkgs if p not in known]
                check(not extra, "line %d installs %s, which tools/install-deps does not" % (line, extra))


def context_files():
    """The build context: what git would commit (tracked and new files), minus .dockerignore."""
    p = run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT)
    check(p.returncode == 0, "git ls-files: %s" % p.stderr)
    ignore = []
    path = os.path.join(ROOT, ".dockerignore")
    if os.path.exists(path):
        ignore = [l.strip() for l in open(path) if l.strip() and not l.startswith("#")]

    def ignored(f):
        parts = f.split("/")
        return any(fnmatch.fnmatch(f, pat) or fnmatch.fnmatch(parts[0], pat) or
                   (pat.startswith("**/") and any(fnmatch.fnmatch(x, pat[3:]) for x in parts)) for pat in ignore)

    return [f for f in p.stdout.split("\0") if f and not ignored(f) and os.path.exists(os.path.join(ROOT, f))]


def build_image(tmp):
    """Executes the Dockerfile: each stage from the Debian root, RUN lines in a chroot as
    /bin/sh -c (those before the first COPY from the context are cached, as Docker caches them),
    WORKDIR, ENV, COPY from the context and COPY --from a stage. Returns the final stage."""
    base = debian_root()
    prune_cache()
    stages = docker_stages(DOCKERFILE)
    for st in stages[:-1]:
        sanity_check_run_lines(st)
    done = {}
    for st in stages:
        check(st["from"] in DEBIAN_IMAGES, "line %d: FROM %s: this test has Debian 12 (debootstrap) only"
              % (st["line"], st["from"]))
        layers, env, workdir = [base], {"PATH": DOCKER_PATH}, "/"
        cacheable, key = True, hashlib.sha256(("bookworm-minbase " + st["from"]).encode()).hexdigest()
        entry = cmd = None
        for instr, args, line in st["steps"]:
            if instr == "RUN":
                key = hashlib.sha256((key + "\0RUN " + args).encode()).hexdigest()
                renv = dict(env, HOME="/root")

                def run_step(dest, args=args, renv=renv, layers=list(layers), wd=workdir, line=line):
                    # The run's directories next to dest: its upper directory becomes the layer
                    # by a rename (a copy would mishandle the whiteouts, which are device files).
                    work = dest + ".run"
                    shutil.rmtree(work, ignore_errors=True)
                    os.mkdir(work)
                    try:
                        upper = in_container(layers, ["/bin/sh", "-c", args], renv, work, 1200,
                                             "Dockerfile line %d: RUN %s" % (line, args), workdir=wd)
                        os.rename(upper, dest)
                    finally:
                        shutil.rmtree(work, ignore_errors=True)

                if cacheable:
                    layers = [cached("layer-" + key[:24], run_step)] + layers
                else:
                    d = tempfile.mkdtemp(prefix="layer.", dir=tmp)
                    os.rmdir(d)
                    run_step(d)
                    layers = [d] + layers
            elif instr == "WORKDIR":
                workdir = os.path.join(workdir, args)
                key = hashlib.sha256((key + "\0WORKDIR " + workdir).encode()).hexdigest()
            elif instr == "ENV":
                for k, v in re.findall(r'(\w+)=("[^"]*"|\S+)', args):
                    env[k] = v.strip('"')
                key = hashlib.sha256((key + "\0ENV " + args).encode()).hexdigest()
            elif instr == "COPY":
                words = shlex.split(args)
                src_stage = None
                if words[0].startswith("--from="):
                    src_stage = words.pop(0)[7:]
                check(len(words) == 2 and not any(w.startswith("--") for w in words),
                      "line %d: COPY %s: this test knows COPY [--from=STAGE] SRC DST" % (line, args))
                src, dst = words
                dst = os.path.join(workdir, dst)
                layer = tempfile.mkdtemp(prefix="layer.", dir=tmp)
                # What a COPY brings is not in the cache key: later RUN lines are not cached.
                cacheable = False
                if src_stage is None:
                    check(src == ".", "line %d: COPY %s: only COPY . DST from the context" % (line, args))
                    for f in context_files():
                        target = layer + os.path.normpath(os.path.join(dst, f))
                        os.makedirs(os.path.dirname(target), exist_ok=True)
                        shutil.copy2(os.path.join(ROOT, f), target, follow_symlinks=False)
                else:
                    check(src_stage in done, "line %d: no stage %s before" % (line, src_stage))
                    view = read_only_view(done[src_stage]["layers"], tmp, [src.rstrip("/")])
                    target = dst
                    if dst.endswith("/") and not os.path.isdir(view + src.rstrip("/")):
                        target = os.path.join(dst, os.path.basename(src))
                    copy_into(view + src.rstrip("/"), layer + target)
                layers = [layer] + layers
            elif instr == "ENTRYPOINT":
                entry = exec_form(args, "ENTRYPOINT")
            elif instr == "CMD":
                cmd = exec_form(args, "CMD")
            elif instr in ("LABEL", "EXPOSE"):
                pass
            else:
                raise Failure("line %d: %s: this test does not know that instruction yet" % (line, instr))
        done[st["name"]] = {"layers": layers, "env": env, "workdir": workdir, "entrypoint": entry, "cmd": cmd}
    return done[stages[-1]["name"]]


_image = {}
_image_lock = threading.Lock()
_image_dir = []


def final_image():
    """The image the Dockerfile builds, made once per run (the Kubernetes test uses it too)."""
    with _image_lock:
        if "image" not in _image:
            check(os.geteuid() == 0, "needs root (mount, chroot)")
            d = tempfile.mkdtemp(prefix="unwedge-image.")
            _image_dir.append(d)
            atexit.register(shutil.rmtree, d, True)
            _image["image"] = build_image(d)
        return _image["image"]


def tests_bind():
    """The test programs, mounted into a container as a volume (they are Debian 12 programs)."""
    return (os.path.join(BUILD, "tests"), "/opt/unwedge-tests", "ro")


def in_image(path):
    return "/opt/unwedge-tests/" + os.path.basename(path)


@test("install/docker-example-in-a-debootstrap-chroot", serial=True, production_only=True)
def docker_example():
    """examples/docker/Dockerfile, executed stage by stage in chroots of Debian 12 (debootstrap,
    minbase): the build stage's apt-get and make run as written, the final stage gets what its
    COPY --from lines take. Its ENTRYPOINT, as written, preloads /usr/local/lib/unwedge/libunwedge.so
    and passes the command's exit status; with the --timeout value shortened to 1 s a wedged write
    of a program in that image fails at T; without the entrypoint the same program hangs."""
    img = final_image()
    entry, cmd = img["entrypoint"], img["cmd"]
    check(entry and entry[-1] == "--" and cmd, "ENTRYPOINT should end with '--' and CMD name the daemon: %s %s"
          % (entry, cmd))
    top = [l for l in img["layers"] if not l.startswith(CACHE)]
    shipped = set()
    for layer in top:
        shipped |= set(files_under(layer))
    check("usr/local/bin/unwedge" in shipped and "usr/local/lib/unwedge/libunwedge.so" in shipped,
          "the final image lacks the launcher or the preload: %s" % sorted(shipped))
    for lib in OPTIONAL_LIBS:
        check(("usr/local/lib/unwedge/" + lib in shipped) == os.path.exists(os.path.join(BUILD, lib)),
              "%s: in the image %s, in this build %s" % (lib, "usr/local/lib/unwedge/" + lib in shipped,
                                                         os.path.exists(os.path.join(BUILD, lib))))
    env = dict(img["env"], HOME="/root", HOSTNAME="unwedge-test")
    with Scratch() as s:
        # Everything shipped finds its shared libraries in the image.
        objs = sorted("/" + f for f in shipped if f.endswith(".so") or f.startswith("usr/local/bin/"))
        p, _ = container(img["layers"], ["ldd"] + objs, env, s.dir)
        out, err, rc = finish(p, 30)
        check(rc == 0 and "not found" not in out and out.count("libc.so.6 =>") == len(objs),
              "ldd in the image of %s: rc=%s %r %r" % (objs, rc, out, err))
        p, _ = container(img["layers"], entry + [in_image(HELLO), "6"], env, s.dir, binds=[tests_bind()],
                         workdir=img["workdir"])
        out, err, rc = finish(p, 30)
        lines = out.splitlines()
        check(rc == 6 and "LD_PRELOAD=/usr/local/lib/unwedge/libunwedge.so" in lines and err == "",
              "ENTRYPOINT as written: rc=%s %r %r" % (rc, out, err))
        i = entry.index("--timeout") if "--timeout" in entry else -1
        if i >= 0:
            check("UNWEDGE_TIMEOUT=%s" % entry[i + 1] in lines, "the entrypoint's --timeout not set: %r" % out)

        peer = s.peer("tcp4", "never")
        p, _ = container(img["layers"], shorten_timeout(entry) + [in_image(WCLIENT)] + wclient_args(peer.addr),
                         env, s.dir, binds=[tests_bind()], workdir=img["workdir"])
        wedge_result(p, "Docker ENTRYPOINT in the chroot")
        peer2 = s.peer("tcp4", "never")
        p, _ = container(img["layers"], [in_image(WCLIENT)] + wclient_args(peer2.addr), env, s.dir,
                         binds=[tests_bind()], workdir=img["workdir"])
        still_blocked(p, "Docker image without the entrypoint")


# --- Kubernetes -------------------------------------------------------------------------------

def load_yaml(path):
    try:
        import yaml
    except ImportError:
        raise Failure("python3-yaml is not installed (tools/install-deps)")
    with open(path) as f:
        return [d for d in yaml.safe_load_all(f) if d]


def pod_spec(doc):
    if doc.get("kind") == "Pod":
        return doc["spec"]
    return doc["spec"]["template"]["spec"]


def example_variable_names(text):
    return set(re.findall(r"\bUNWEDGE_[A-Z][A-Z0-9_]*", text))


@test("install/kubernetes-example", serial=True, production_only=True)
def kubernetes_example():
    """examples/kubernetes/unwedge.yaml parses; its init container copies the preload into an
    emptyDir volume that the application container mounts where LD_PRELOAD points; every UNWEDGE_*
    name it sets is a variable the preload reads. Then, in chroots: the init container's command,
    run in the image of examples/docker/Dockerfile with the volume mounted, fills the volume; a
    program in a plain Debian 12 container with the volume mounted read-only and the snippet's
    environment (the deadline shortened to 1 s) fails its wedged write at T; without LD_PRELOAD it
    hangs."""
    path = os.path.join(EXAMPLES, "kubernetes", "unwedge.yaml")
    docs = load_yaml(path)
    check(len(docs) == 1 and docs[0].get("apiVersion") and docs[0].get("kind"), "one object with apiVersion and kind")
    spec = pod_spec(docs[0])
    volumes = {v["name"]: v for v in spec["volumes"]}
    inits, apps = spec.get("initContainers", []), spec["containers"]
    check(len(inits) == 1 and len(apps) == 1, "one init container and one container")
    init, app = inits[0], apps[0]
    env = {e["name"]: e["value"] for e in app["env"]}
    check(all(isinstance(v, str) for v in env.values()), "env values must be strings (quote them): %s" % env)
    unknown = {n for n in env if n.startswith("UNWEDGE_")} - real_variables()
    check(not unknown, "not variables the preload reads (src/config.c uw_options): %s" % sorted(unknown))
    lib = env.get("LD_PRELOAD", "")
    mounts = [m for m in app["volumeMounts"] if lib.startswith(m["mountPath"].rstrip("/") + "/")]
    check(len(mounts) == 1 and "emptyDir" in volumes.get(mounts[0]["name"], {}),
          "LD_PRELOAD=%s is not in an emptyDir volume of the container" % lib)
    check(not any("subPath" in m for m in app["volumeMounts"] + init["volumeMounts"]), "subPath: not handled here")
    vol = mounts[0]["name"]
    rel = lib[len(mounts[0]["mountPath"].rstrip("/")) + 1:]
    init_mounts = [m for m in init["volumeMounts"] if m["name"] == vol]
    check(len(init_mounts) == 1 and not init_mounts[0].get("readOnly"), "the init container does not write %s" % vol)
    check(isinstance(init.get("command"), list), "the init container needs a command (it replaces the ENTRYPOINT)")

    img = final_image()
    base = debian_root()
    with Scratch() as s:
        empty = os.path.join(s.dir, "emptyDir")
        os.mkdir(empty)
        in_container(img["layers"], init["command"] + init.get("args", []), dict(img["env"]), s.dir, 60,
                     "the init container", binds=[(empty, init_mounts[0]["mountPath"], "rw")])
        check(os.path.exists(os.path.join(empty, rel)), "the init container did not put %s in the volume: %s"
              % (rel, os.listdir(empty)))
        for lib_name in OPTIONAL_LIBS:
            if os.path.exists(os.path.join(BUILD, lib_name)):
                check(os.path.exists(os.path.join(empty, lib_name)), "%s not copied next to the preload" % lib_name)

        app_env = dict(env, PATH=DOCKER_PATH, HOME="/root", UNWEDGE_TIMEOUT="%dms" % T_MS)
        binds = [tests_bind(), (empty, mounts[0]["mountPath"], "ro" if mounts[0].get("readOnly") else "rw")]
        peer = s.peer("tcp4", "never")
        p, _ = container([base], [in_image(WCLIENT)] + wclient_args(peer.addr), app_env, s.dir, binds=binds)
        wedge_result(p, "the Kubernetes container's environment")
        peer2 = s.peer("tcp4", "never")
        no_preload = {k: v for k, v in app_env.items() if k != "LD_PRELOAD"}
        p, _ = container([base], [in_image(WCLIENT)] + wclient_args(peer2.addr), no_preload, s.dir, binds=binds)
        still_blocked(p, "the container without LD_PRELOAD")


# --- systemd ----------------------------------------------------------------------------------

def systemd_root(tmp):
    """A root for systemd-analyze verify --root: make install (PREFIX=/usr/local), the host's
    system units (the targets a service depends on), and a service standing for the packaged
    one, whose daemon is a real program."""
    root = os.path.join(tmp, "root")
    make_install(root, "/usr/local")
    shutil.copytree("/lib/systemd/system", os.path.join(root, "usr/lib/systemd/system"), symlinks=True)
    os.makedirs(os.path.join(root, "usr/sbin"))
    shutil.copy2(HELLO, os.path.join(root, "usr/sbin/mydaemon"))
    units = os.path.join(root, "etc/systemd/system")
    os.makedirs(os.path.join(units, "mydaemon.service.d"))
    with open(os.path.join(units, "mydaemon.service"), "w") as f:
        f.write("[Unit]\nDescription=a daemon standing for the packaged one\n\n[Service]\n"
                "ExecStart=/usr/sbin/mydaemon --foreground\n\n[Install]\nWantedBy=multi-user.target\n")
    return root


def verify(root, dropin_text):
    path = os.path.join(root, "etc/systemd/system/mydaemon.service.d/unwedge.conf")
    with open(path, "w") as f:
        f.write(dropin_text)
    p = run(["systemd-analyze", "verify", "--man=no", "--root=" + root, "mydaemon.service"], env=base_env())
    return p.returncode, (p.stdout + p.stderr).strip()


def service_section(text):
    """The [Service] assignments of a unit file, in order."""
    out, section = [], None
    for line in text.splitlines():
        line = line.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("["):
            section = line
            continue
        k, _, v = line.partition("=")
        if section == "[Service]":
            out.append((k.strip(), v.strip()))
    return out


def under_usr_local(root, argv, env):
    """argv in a private mount namespace whose /usr/local is the staged one: the drop-ins' paths,
    as written."""
    return spawn(["unshare", "-m", "--propagation", "private", "sh", "-c",
                  'mount --bind "$1" /usr/local && shift && exec "$@"', "sh",
                  os.path.join(root, "usr/local")] + argv, env=env)


@test("install/systemd-drop-ins-verify-and-run", production_only=True)
def systemd_dropins():
    """Both drop-ins in examples/systemd/ pass `systemd-analyze verify --root` on a service in a
    tree made by make install, without one message. Controls: verify does read the drop-in (an
    unknown key is reported with its path), refuses the launcher drop-in without its clearing
    `ExecStart=`, and reports its command missing when unwedge is not installed. Then, with
    /usr/local the staged one: the environment of unwedge.conf, and the ExecStart= of
    unwedge-launcher.conf with the daemon replaced by a client, each with the deadline shortened
    to 1 s, make a wedged write fail at T; the client alone hangs."""
    check(shutil.which("systemd-analyze"), "systemd-analyze is not installed (tools/install-deps)")
    check(os.geteuid() == 0, "needs root (mount namespace)")
    env_dropin = open(os.path.join(EXAMPLES, "systemd", "unwedge.conf")).read()
    launcher_dropin = open(os.path.join(EXAMPLES, "systemd", "unwedge-launcher.conf")).read()
    with Scratch() as s:
        root = systemd_root(s.dir)
        for name, text in (("unwedge.conf", env_dropin), ("unwedge-launcher.conf", launcher_dropin)):
            rc, msg = verify(root, text)
            check(rc == 0 and msg == "", "systemd-analyze verify with %s: rc=%d %s" % (name, rc, msg))
        rc, msg = verify(root, env_dropin + "NoSuchKey=1\n")
        check("unwedge.conf" in msg and "NoSuchKey" in msg, "verify did not read the drop-in: rc=%d %r" % (rc, msg))
        unclear = "\n".join(l for l in launcher_dropin.splitlines() if l.strip() != "ExecStart=") + "\n"
        check(unclear != launcher_dropin, "unwedge-launcher.conf has no 'ExecStart=' line clearing the unit's")
        rc, msg = verify(root, unclear)
        check(rc != 0 and "ExecStart" in msg, "a second ExecStart= was accepted: rc=%d %r" % (rc, msg))
        exe = os.path.join(root, "usr/local/bin/unwedge")
        os.rename(exe, exe + ".away")
        rc, msg = verify(root, launcher_dropin)
        os.rename(exe + ".away", exe)
        check(rc != 0 and "/usr/local/bin/unwedge" in msg, "verify did not check the launcher's path: %r" % msg)

        assigns = service_section(env_dropin)
        denv = {}
        for k, v in assigns:
            check(k == "Environment", "unwedge.conf sets %s; this test knows Environment= only" % k)
            check("%" not in v and "$" not in v, "specifiers or variables in %r: not expanded here" % v)
            for word in shlex.split(v):
                name, eq, value = word.partition("=")
                check(eq, "Environment=%s: not NAME=VALUE" % word)
                denv[name] = value
        unknown = {n for n in denv if n != "LD_PRELOAD"} - real_variables()
        check(not unknown, "unwedge.conf sets variables the preload does not read: %s" % sorted(unknown))
        lib = denv.get("LD_PRELOAD", "")
        check(os.path.exists(root + lib), "LD_PRELOAD=%s is not where make install put the preload" % lib)
        denv["UNWEDGE_TIMEOUT"] = "%dms" % T_MS
        peer = s.peer("tcp4", "never")
        wedge_result(under_usr_local(root, [WCLIENT] + wclient_args(peer.addr), base_env(**denv)),
                     "the environment of unwedge.conf")

        starts = [v for k, v in service_section(launcher_dropin) if k == "ExecStart"]
        check(starts and starts[0] == "" and starts[-1].startswith("/"), "ExecStart lines: %s" % starts)
        argv = shlex.split(starts[-1])
        check("--" in argv, "no '--' before the daemon in %s" % starts[-1])
        launcher_argv = shorten_timeout(argv[:argv.index("--") + 1])
        peer2 = s.peer("tcp4", "never")
        wedge_result(under_usr_local(root, launcher_argv + [WCLIENT] + wclient_args(peer2.addr), base_env()),
                     "the ExecStart= of unwedge-launcher.conf")
        peer3 = s.peer("tcp4", "never")
        still_blocked(spawn([WCLIENT] + wclient_args(peer3.addr), env=base_env()), "systemd")


@test("install/examples-use-only-real-variables", production_only=True)
def examples_variables():
    """Every UNWEDGE_* name an example sets is a variable the preload reads (src/config.c), and
    every one an example merely mentions (comments) is at least documented in unwedge(7)."""
    real = real_variables()
    documented = set(re.findall(r"UNWEDGE_[A-Z][A-Z0-9_]*", roff_text(os.path.join(ROOT, "man", "unwedge.7"))))
    problems = []
    for d, _, names in os.walk(EXAMPLES):
        for n in names:
            path = os.path.join(d, n)
            text = open(path).read()
            code = "\n".join(l.split("#", 1)[0] for l in text.splitlines())
            for name in sorted(example_variable_names(code) - real):
                problems.append("%s sets %s, which the preload does not read" % (os.path.relpath(path, ROOT), name))
            for name in sorted(example_variable_names(text) - real - documented):
                problems.append("%s mentions %s, which unwedge(7) does not document" % (os.path.relpath(path, ROOT), name))
    check(not problems, "\n".join(problems))
