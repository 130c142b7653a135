"""`unwedge check CMD|PATH|PID` (tools/check/): whether the preload can protect a
program, and what can where it cannot. Exit 0: it can (a PID: it is protected
now); 1: it cannot (the verdict names the cgroup layer), or it would not start;
2: bad input, one line naming it; 3: a PID protectable but not protected now.

Every program checked here is real: the test helpers (glibc dynamic, static),
Go programs (the incident's h2wedge, and one built here without cgo), set-user-ID,
set-group-ID and file-capability copies, a musl program (musl-gcc), openssl,
gnutls-cli and curl, #! scripts, and running processes with and without the
preload. Where the check claims something about the loader (a set-user-ID
process run by another user does not get the preload; a musl program with the
preload does not start), the test makes the loader show it."""

import json
import os
import pwd
import re
import shutil
import struct
import subprocess
import sys
import time

from harness import BUILD, LAUNCHER, LIB, ONE_VALUE, Scratch, base_env, check, spawn, test

HELLO = os.path.join(BUILD, "tests", "hello")
HELLO_STATIC = os.path.join(BUILD, "tests", "hello-static")
H2WEDGE = os.path.join(BUILD, "tests", "h2wedge")
NOBODY = pwd.getpwnam("nobody")


def run_check(target, env=None, json_out=False, user=None):
    argv = [LAUNCHER, "check"] + (["--json"] if json_out else []) + [str(target)]
    if user:
        argv = ["setpriv", "--reuid=%d" % user.pw_uid, "--regid=%d" % user.pw_gid, "--clear-groups", "--"] + argv
    p = subprocess.run(argv, env=env or base_env(), capture_output=True, text=True, timeout=30)
    return p.returncode, p.stdout, p.stderr


def lines(out, key):
    return [line for line in out.splitlines() if line.startswith(key + ": ")]


def verdict(out):
    v = lines(out, "verdict")
    check(len(v) == 1 and out.splitlines()[-1] == v[0], "one verdict line, last: %r" % out)
    return v[0]


def expect(target, rc, keys=(), texts=(), env=None):
    """Checks target; rc and the findings' keys and texts. Returns stdout."""
    got_rc, out, err = run_check(target, env=env)
    check(got_rc == rc, "%s: exit %d, want %d\n%s%s" % (target, got_rc, rc, out, err))
    check(err == "", "%s: stderr %r" % (target, err))
    for k in keys:
        check(lines(out, k), "%s: no %r finding in:\n%s" % (target, k, out))
    for t in texts:
        check(t in out, "%s: %r missing in:\n%s" % (target, t, out))
    v = verdict(out)
    if rc == 1:
        check("the preload cannot protect it" in v and "unwedge --cgroup --tcp-user-timeout" in v,
              "%s: the verdict should send to the cgroup layer: %r" % (target, v))
    return out


def wait_exec(pid, target, timeout=5):
    """Waits until process pid runs target (after setpriv/env exec into it)."""
    end = time.time() + timeout
    while time.time() < end:
        try:
            if os.path.realpath("/proc/%d/exe" % pid) == os.path.realpath(target):
                return
        except OSError:
            pass
        time.sleep(0.02)
    raise AssertionError("process %d never ran %s" % (pid, target))


def start(argv, env, target):
    """Starts argv (retrying ETXTBSY on a just-written copy) and waits until it runs target."""
    for _ in range(10):
        p = spawn(argv, env=env)
        try:
            wait_exec(p.pid, target)
            # exec has happened; the loader may not have mapped the preload yet.
            deadline = time.time() + 5
            while (env.get("LD_PRELOAD") and "libunwedge" not in open("/proc/%d/maps" % p.pid).read()
                   and time.time() < deadline):
                time.sleep(0.02)
            return p
        except AssertionError:
            p.kill()
            _, err = p.communicate(timeout=10)
            if "Text file busy" not in err:
                raise AssertionError("%s did not start: %s" % (argv, err))
            time.sleep(0.2)
    raise AssertionError("%s: text file busy" % argv)


def stop(p):
    if p.poll() is None:
        p.kill()
    p.communicate(timeout=10)


def as_nobody(argv, env_assign):
    return ["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid, "--clear-groups", "--",
            "/usr/bin/env"] + env_assign + argv


@test("check/glibc-dynamic-program-can-be-protected", production_only=True)
def glibc_dynamic():
    out = expect(HELLO, 0, keys=("linking", "libc"), texts=("dynamic, glibc (interpreter /lib64/ld-linux-x86-64.so.2)",
                                                           "libc.so.6 (needed directly)"))
    check("the preload can protect it: unwedge --timeout 30s -- %s" % HELLO in verdict(out), out)
    check("not in this environment's LD_PRELOAD" in out, out)
    # Already in LD_PRELOAD here: programs started from this environment get it.
    out = expect(HELLO, 0, env=base_env(LD_PRELOAD="/lib/x86_64-linux-gnu/libm.so.6:" + LIB))
    check("LD_PRELOAD here already has %s" % LIB in out, out)
    # A command name is found through PATH, as the launcher would run it.
    out = expect("sleep", 0)
    check(verdict(out).endswith("-- sleep"), out)


@test("check/static-program-cannot", production_only=True)
def static():
    expect(HELLO_STATIC, 1, keys=("static",), texts=("statically linked (no program interpreter)",))
    with Scratch() as s:
        src = os.path.join(s.dir, "h.c")
        open(src, "w").write("int main(void) { return 0; }\n")
        pie = os.path.join(s.dir, "static-pie")
        p = subprocess.run(["cc", "-static-pie", "-o", pie, src], capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, "cc -static-pie: %s" % p.stderr)
        expect(pie, 1, keys=("static",))


def go_version():
    p = subprocess.run(["go", "env", "GOVERSION"], capture_output=True, text=True, timeout=30)
    check(p.returncode == 0, "needs go (golang-go): %s" % p.stderr)
    return p.stdout.strip()


@test("check/go-program-cannot-and-its-build-info-is-read", production_only=True)
def go_program():
    check(os.path.exists(H2WEDGE), "%s missing (make %s)" % (H2WEDGE, H2WEDGE))
    ver = go_version()
    # h2wedge is linked with cgo (dynamic, glibc): still unreachable.
    out = expect(H2WEDGE, 1, keys=("go", "linking"),
                 texts=("a Go program (%s; module unwedge/tests/go; main package unwedge/tests/go/h2wedge; "
                        "cgo enabled)" % ver, "even with cgo"))
    check("static" not in out, out)
    with Scratch() as s:
        src = os.path.join(s.dir, "tiny")
        os.mkdir(src)
        open(os.path.join(src, "go.mod"), "w").write("module example.com/tinyprog\n\ngo 1.19\n")
        open(os.path.join(src, "main.go"), "w").write("package main\n\nfunc main() {}\n")
        binary = os.path.join(s.dir, "tinyprog")
        env = base_env(CGO_ENABLED="0", GOPROXY="off", GOFLAGS="-mod=mod")
        p = subprocess.run(["go", "build", "-p", "1", "-o", binary, "."], cwd=src, env=env, capture_output=True,
                           text=True, timeout=300)
        check(p.returncode == 0, "go build: %s" % p.stderr)
        expect(binary, 1, keys=("go", "static"), texts=("(%s; module example.com/tinyprog; cgo disabled)" % ver,))
        # Without a section table the build info is found by its header.
        data = bytearray(open(binary, "rb").read())
        struct.pack_into("<Q", data, 0x28, 0)  # e_shoff
        struct.pack_into("<HHH", data, 0x3A, 0, 0, 0)  # e_shentsize, e_shnum, e_shstrndx
        nosec = os.path.join(s.dir, "nosections")
        open(nosec, "wb").write(bytes(data))
        os.chmod(nosec, 0o755)
        p = subprocess.run(["readelf", "-S", nosec], capture_output=True, text=True, timeout=10)
        check("no sections" in p.stdout, "the copy still has sections: %s" % p.stdout[:300])
        expect(nosec, 1, keys=("go",), texts=("module example.com/tinyprog",))


def special_copy(s, kind):
    path = os.path.join(s.dir, "sleep-" + kind)
    shutil.copyfile("/usr/bin/sleep", path)
    os.chown(path, 0, 0)
    os.chmod(path, {"plain": 0o755, "suid": 0o4755, "sgid": 0o2755, "cap": 0o755}[kind])
    if kind == "cap":
        p = subprocess.run(["setcap", "cap_net_bind_service+ep", path], capture_output=True, text=True, timeout=10)
        check(p.returncode == 0, "setcap failed (libcap2-bin): %s" % p.stderr)
    return path


@test("check/set-user-ID-set-group-ID-and-capabilities-cannot", production_only=True)
def secure_files():
    check(os.geteuid() == 0, "needs root (setcap, set-user-ID root copies)")
    with Scratch() as s:
        expect(special_copy(s, "plain"), 0)
        expect(special_copy(s, "suid"), 1, keys=("setuid",), texts=("secure-execution mode",))
        expect(special_copy(s, "sgid"), 1, keys=("setgid",))
        expect(special_copy(s, "cap"), 1, keys=("capabilities",), texts=("security.capability",))


@test("check/set-user-ID-process-really-runs-without-the-preload", production_only=True)
def secure_process():
    """The claim, shown by the loader: a set-user-ID copy run by nobody with
    LD_PRELOAD has no libunwedge.so mapped, and the PID check says so (exit 1);
    the same copy without the bit, same user and environment, has it."""
    check(os.geteuid() == 0, "needs root (a set-user-ID root copy run as nobody)")
    with Scratch() as s:
        os.chmod(s.dir, 0o755)
        procs = {}
        try:
            for kind in ("suid", "plain"):
                path = special_copy(s, kind)
                procs[kind] = start(as_nobody([path, "30"], ["LD_PRELOAD=" + LIB, "UNWEDGE_TIMEOUT=5s"]),
                                    base_env(), path)
            rc, out, err = run_check(procs["suid"].pid)
            check(rc == 1 and "libunwedge.so is not loaded" in out and lines(out, "secure"),
                  "set-user-ID process: exit %d\n%s%s" % (rc, out, err))
            check("ignored: secure execution" in out, "the environment shown as ignored: %s" % out)
            maps = open("/proc/%d/maps" % procs["suid"].pid).read()
            check("libunwedge" not in maps, "the loader did map it: the claim is wrong")
            rc, out, err = run_check(procs["plain"].pid)
            check(rc == 0 and "(already preloaded)" in out and not lines(out, "secure"),
                  "control: exit %d\n%s%s" % (rc, out, err))
            check("verdict: protected: libunwedge.so is loaded and active" in out, out)
        finally:
            for p in procs.values():
                stop(p)


@test("check/tls-libraries-and-their-coverage", production_only=True)
def tls_libraries():
    out = expect("/usr/bin/openssl", 0, keys=("tls",))
    check(re.search(r"^tls: libssl\.so\.3 \(OpenSSL, needed directly\): covered: SSL_write", out, re.M), out)
    out = expect("gnutls-cli", 0)
    check(re.search(r"^tls: libgnutls\.so\.30 \(GnuTLS, needed directly\): covered at the socket only", out, re.M),
          out)
    # curl links no TLS library itself: libssl comes through libcurl.
    out = expect("curl", 0)
    check(re.search(r"^tls: libssl\.so\.3 \(OpenSSL, through libcurl\.so\.4\)", out, re.M), out)
    out = expect(HELLO, 0)
    check(re.search(r"^tls: no TLS library among its dependencies", out, re.M), out)


@test("check/running-process-with-and-without-the-preload", production_only=True)
def running_processes():
    py = sys.executable
    code = "import ssl, time; print('ready', flush=True); time.sleep(30)"
    with_lib = start([py, "-c", code], base_env(LD_PRELOAD=LIB, UNWEDGE_TIMEOUT="5s"), py)
    without = start([py, "-c", code], base_env(), py)
    bad = start(["sleep", "30"], base_env(LD_PRELOAD=LIB, UNWEDGE_TIMEOUT="30"), shutil.which("sleep"))
    try:
        for p in (with_lib, without):
            check(p.stdout.readline().strip() == "ready", "python did not start")
        rc, out, err = run_check(with_lib.pid)
        check(rc == 0 and "libunwedge.so is loaded: %s (already preloaded)" % LIB in out,
              "with: exit %d\n%s%s" % (rc, out, err))
        check("environ: LD_PRELOAD=%s UNWEDGE_TIMEOUT=5s" % LIB in out, out)
        # Python loads libssl with dlopen: only the running process shows it.
        check(re.search(r"^tls: \S*libssl\.so\.3 is loaded \(OpenSSL\): covered: SSL_write", out, re.M), out)
        check(verdict(out) == "verdict: protected: libunwedge.so is loaded and active in process %d" % with_lib.pid,
              out)
        rc, out, err = run_check(without.pid)
        # Protectable, not protected now: exit 3, not the 0 of a protected process.
        check(rc == 3 and "libunwedge.so is not loaded" in out and "restart it under unwedge" in verdict(out),
              "without: exit %d\n%s%s" % (rc, out, err))
        # Loaded, but an invalid value turned it off in that process.
        rc, out, err = run_check(bad.pid)
        check(rc == 3 and "config: UNWEDGE_TIMEOUT='30' is invalid" in out and "not protected now" in verdict(out),
              "invalid setting: exit %d\n%s%s" % (rc, out, err))
        rc, out, err = run_check(without.pid, json_out=True)
        check(rc == 3 and json.loads(out)["protectable"] is True, "without, --json: %d %r" % (rc, out))
        rc, out, err = run_check(with_lib.pid, json_out=True)
        doc = json.loads(out)
        check(rc == 0 and doc["protectable"] is True and doc["target"] == str(with_lib.pid), out)
        check(any(f["key"] == "preload" and "already preloaded" in f["text"] for f in doc["findings"]), out)
    finally:
        for p in (with_lib, without, bad):
            stop(p)


@test("check/go-process-with-the-preload-is-still-not-protected", production_only=True)
def go_process():
    # A cgo Go program maps the preload like any dynamic program, which is
    # exactly why "loaded" must not read as "protected" there.
    with Scratch() as s:
        src = os.path.join(s.dir, "sleeper")
        os.mkdir(src)
        open(os.path.join(src, "go.mod"), "w").write("module example.com/sleeper\n\ngo 1.19\n")
        open(os.path.join(src, "main.go"), "w").write(
            'package main\n\n// #include <unistd.h>\nimport "C"\nimport "time"\n\n'
            "func main() { _ = C.getpid(); time.Sleep(30 * time.Second) }\n")
        binary = os.path.join(s.dir, "sleeper-bin")
        env = base_env(CGO_ENABLED="1", GOPROXY="off", GOFLAGS="-mod=mod")
        r = subprocess.run(["go", "build", "-p", "1", "-o", binary, "."], cwd=src, env=env, capture_output=True,
                           text=True, timeout=300)
        check(r.returncode == 0, "go build: %s" % r.stderr)
        p = start([binary], base_env(LD_PRELOAD=LIB), binary)
        try:
            rc, out, err = run_check(p.pid)
            check(rc == 1 and "(already preloaded)" in out and lines(out, "go") and "cgo enabled" in out,
                  "exit %d\n%s%s" % (rc, out, err))
            check("unwedge cgroup attach --path" in verdict(out) or "unwedge --cgroup" in verdict(out), out)
        finally:
            stop(p)


@test("check/scripts-are-followed-to-their-interpreter", production_only=True)
def scripts():
    with Scratch() as s:
        def script(name, first_line):
            path = os.path.join(s.dir, name)
            open(path, "w").write(first_line + "\nprint('hello')\n")
            os.chmod(path, 0o755)
            return path
        out = expect(script("direct.py", "#!" + sys.executable), 0, keys=("script", "linking"))
        check("is a #! script run by %s; what follows is about %s" % (sys.executable, sys.executable) in out, out)
        out = expect(script("env.py", "#!/usr/bin/env python3"), 0, keys=("script",))
        check("run by /usr/bin/env python3" in out, out)
        # The interpreter decides: a script for a static program is as unreachable.
        expect(script("static.sh", "#!" + HELLO_STATIC), 1, keys=("script", "static"))
        rc, out, err = run_check(script("missing.sh", "#!/nonexistent/interpreter"))
        check(rc == 2 and out == "" and err.count("\n") == 1 and "/nonexistent/interpreter" in err
              and "missing.sh" in err, "missing interpreter: %d %r %r" % (rc, out, err))


def build_musl(s):
    check(shutil.which("musl-gcc"), "needs musl-gcc (musl-tools)")
    src = os.path.join(s.dir, "m.c")
    open(src, "w").write('#include <stdio.h>\nint main(void) { puts("musl hello"); return 0; }\n')
    binary = os.path.join(s.dir, "musl-hello")
    p = subprocess.run(["musl-gcc", "-o", binary, src], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "musl-gcc: %s" % p.stderr)
    return binary


@test("check/musl-program-protectable-with-the-musl-build", production_only=True)
def musl():
    """The build tree has the one-value layout (build/$LIB/: the musl build):
    check says a musl program is protectable, and the launcher runs it with the
    one value, the musl build mapped."""
    check(os.path.exists(ONE_VALUE), "the musl build is missing: make builds it when musl-gcc is installed")
    with Scratch() as s:
        binary = build_musl(s)
        expect(binary, 0, keys=("linking",), texts=("dynamic, musl (interpreter /lib/ld-musl-x86_64.so.1)",
                                                    "the musl build of libunwedge.so serves it"))
    musl_hello = os.path.join(BUILD, "musl", "tests", "hello")
    p = subprocess.run([LAUNCHER, "--", musl_hello], env=base_env(HELLO_MAPS=1), capture_output=True, text=True,
                       timeout=10)
    mapped = [os.path.realpath(line[7:]) for line in p.stdout.splitlines() if line.startswith("mapped=")]
    check(p.returncode == 0 and p.stderr == "" and "LD_PRELOAD=%s" % ONE_VALUE in p.stdout.splitlines(),
          "launcher: %d %r %r" % (p.returncode, p.stdout, p.stderr))
    check(mapped == [os.path.realpath(os.path.join(BUILD, "musl", "libunwedge.so"))], "mapped: %s" % mapped)


@test("check/musl-program-without-the-musl-build", production_only=True)
def musl_without():
    """A launcher with only the glibc build next to it: a musl program cannot be
    protected, and the launcher runs it without the preload (which would stop
    it: musl's loader cannot relocate a glibc library) and says so."""
    with Scratch() as s:
        binary = build_musl(s)
        for f in ("unwedge", "libunwedge.so"):
            shutil.copy2(os.path.join(BUILD, f), s.dir)
        launcher = os.path.join(s.dir, "unwedge")
        p = subprocess.run([launcher, "check", binary], env=base_env(), capture_output=True, text=True, timeout=30)
        check(p.returncode == 1 and "musl: linked against musl (interpreter /lib/ld-musl-x86_64.so.1)" in p.stdout,
              "check: %d %r" % (p.returncode, p.stdout))
        # The claim: with the glibc preload in LD_PRELOAD, musl's loader refuses to start it.
        p = subprocess.run([binary], env=base_env(LD_PRELOAD=LIB), capture_output=True, text=True, timeout=10)
        check(p.returncode == 127 and "Error relocating" in p.stderr and "musl hello" not in p.stdout,
              "musl with the preload: %d %r" % (p.returncode, p.stderr))
        p = subprocess.run([launcher, "--", binary], env=base_env(), capture_output=True, text=True, timeout=10)
        check(p.returncode == 0 and p.stdout == "musl hello\n", "launcher: %d %r %r" % (p.returncode, p.stdout, p.stderr))
        check("linked against musl" in p.stderr and "runs without the preload" in p.stderr
              and len(p.stderr.splitlines()) == 1, "launcher warning: %r" % p.stderr)


@test("check/other-architecture-cannot", production_only=True)
def other_arch():
    with Scratch() as s:
        # A 32-bit i386 ELF header is all the check reads (no 32-bit toolchain needed).
        path = os.path.join(s.dir, "i386")
        hdr = b"\x7fELF" + bytes([1, 1, 1]) + bytes(9) + struct.pack("<HHIIIIIHHHHHH", 2, 3, 1, 0x8048000, 52, 0, 0,
                                                                       52, 32, 0, 40, 0, 0)
        open(path, "wb").write(hdr)
        os.chmod(path, 0o755)
        expect(path, 1, keys=("arch",), texts=("a 32-bit i386 program",))


def build_with_lib(root, lib_dir, runpath):
    """root/bin/prog, linked against lib_dir/liborigin.so through RUNPATH runpath; returns the program."""
    os.makedirs(os.path.join(root, "bin"))
    os.makedirs(lib_dir, exist_ok=True)
    lsrc, psrc = os.path.join(root, "l.c"), os.path.join(root, "p.c")
    open(lsrc, "w").write("int origin_value(void) { return 42; }\n")
    open(psrc, "w").write('#include <stdio.h>\nint origin_value(void);\n'
                          'int main(void) { printf("value %d\\n", origin_value()); return 0; }\n')
    lib = os.path.join(lib_dir, "liborigin.so")
    prog = os.path.join(root, "bin", "prog")
    for argv in (["cc", "-shared", "-fPIC", "-o", lib, lsrc],
                 ["cc", "-o", prog, psrc, "-L" + lib_dir, "-lorigin", "-Wl,--enable-new-dtags,-rpath," + runpath]):
        p = subprocess.run(argv, capture_output=True, text=True, timeout=60)
        check(p.returncode == 0, "%s: %s" % (argv, p.stderr))
    return prog


@test("check/origin-through-a-symlink-and-a-really-missing-library", production_only=True)
def origin_and_missing():
    """$ORIGIN is the directory of the program's real path, as the loader takes it from
    /proc/self/exe: a program reached through alternatives-style symbolic links finds its
    $ORIGIN/../lib library (the loader really starts it) and check says so; a library that is
    really missing (the loader refuses to start the program) makes the verdict "would not start",
    exit 1."""
    with Scratch() as s:
        real = os.path.join(s.dir, "jvm")
        prog = build_with_lib(real, os.path.join(real, "lib"), "$ORIGIN/../lib")
        os.makedirs(os.path.join(s.dir, "etc", "alternatives"))
        os.makedirs(os.path.join(s.dir, "usr", "bin"))
        alt = os.path.join(s.dir, "etc", "alternatives", "prog")
        link = os.path.join(s.dir, "usr", "bin", "prog")
        os.symlink(prog, alt)
        os.symlink(alt, link)
        p = subprocess.run([link], capture_output=True, text=True, timeout=10)
        check(p.returncode == 0 and p.stdout == "value 42\n", "the loader did not start it: %r" % p.stderr)
        out = expect(link, 0, keys=("libc",))
        check("not found" not in out and "the preload can protect it" in verdict(out), out)

        gone = os.path.join(s.dir, "gone")
        missing = build_with_lib(gone, os.path.join(gone, "lib"), "$ORIGIN/../lib")
        os.remove(os.path.join(gone, "lib", "liborigin.so"))
        p = subprocess.run([missing], capture_output=True, text=True, timeout=10)
        check(p.returncode == 127 and "liborigin.so: cannot open shared object file" in p.stderr,
              "control: the loader should refuse it: %d %r" % (p.returncode, p.stderr))
        rc, out, err = run_check(missing)
        check(rc == 1 and err == "" and "deps: liborigin.so (needed directly) not found: the loader would refuse"
              in out and verdict(out).startswith("verdict: it would not start"), "exit %d\n%s%s" % (rc, out, err))
        rc, out, _ = run_check(missing, json_out=True)
        doc = json.loads(out)
        check(rc == 1 and doc["protectable"] is False
              and any(f["key"] == "deps" and f["blocks"] for f in doc["findings"]), out)


@test("check/java-through-debian-alternatives", production_only=True)
def java_alternatives():
    """Debian's java: /usr/bin/java -> /etc/alternatives/java -> .../bin/java, libjli.so in
    $ORIGIN/../lib: found, and the preload can protect it."""
    java = shutil.which("java")
    check(java and os.path.islink(java), "needs java installed through alternatives (Debian: openjdk-17-jdk-headless)")
    p = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "java -version: %r" % p.stderr)
    out = expect("java", 0, keys=("libc",))
    check("libjli.so" not in out and "not found" not in out, out)


@test("check/bad-input-exits-2-with-one-line", production_only=True)
def bad_input():
    with Scratch() as s:
        text = os.path.join(s.dir, "notes.txt")
        open(text, "w").write("just text\n")
        obj = os.path.join(s.dir, "o.o")
        src = os.path.join(s.dir, "o.c")
        open(src, "w").write("int x;\n")
        subprocess.run(["cc", "-c", "-o", obj, src], check=True, timeout=60)
        cases = [("/no/such/program", "/no/such/program: not found"),
                 ("no-such-command-xyz", "no-such-command-xyz: not found"),
                 (s.dir, "is a directory"),
                 (text, "neither an ELF program nor a #! script"),
                 (obj, "not a program"),
                 ("/lib/x86_64-linux-gnu/libssl.so.3", "is a shared library, not a program"),
                 ("999999999", "no process 999999999")]
        for target, want in cases:
            rc, out, err = run_check(target)
            check(rc == 2 and out == "" and err.count("\n") == 1 and want in err,
                  "%s: exit %d, stdout %r, stderr %r (want %r)" % (target, rc, out, err, want))
        # Bad arguments: the first line names the argument (not only the usage), the second points to --help.
        for args, want in (([], "no COMMAND, PATH or PID given"),
                           (["a", "b"], "one COMMAND, PATH or PID at a time: extra argument 'b'"),
                           (["-5"], "unknown option '-5'"),
                           (["--bogus", "curl"], "unknown option '--bogus'"),
                           ([""], "an empty argument ('') where the COMMAND, PATH or PID belongs"),
                           (["--json", "-\x1b[31m"], "unknown option '-\\x1b[31m'")):
            p = subprocess.run([LAUNCHER, "check"] + args, env=base_env(), capture_output=True, text=True, timeout=10)
            err = p.stderr.splitlines()
            check(p.returncode == 2 and p.stdout == "" and len(err) == 2 and err[0] == "unwedge: check: " + want
                  and err[1] == "Try 'unwedge check --help'.", "%r: %d %r" % (args, p.returncode, p.stderr))


@test("check/process-of-another-user-is-bad-input", production_only=True)
def unreadable_pid():
    check(os.geteuid() == 0, "needs root (to check as nobody a process of root)")
    p = start(["sleep", "30"], base_env(), shutil.which("sleep"))
    try:
        rc, out, err = run_check(p.pid, user=NOBODY)
        check(rc == 2 and out == "" and err.count("\n") == 1 and "cannot be inspected by this user" in err
              and "process %d" % p.pid in err and "it runs as uid 0 gid 0, this user is uid %d gid %d"
              % (NOBODY.pw_uid, NOBODY.pw_gid) in err, "exit %d %r %r" % (rc, out, err))
    finally:
        stop(p)


@test("check/process-of-the-same-user-without-ptrace-rights", production_only=True)
def same_user_no_ptrace():
    """A process of this very user that is not dumpable, or that holds capabilities this user lacks,
    cannot be inspected: the message says the missing right is ptrace, not the user id. Control: a
    plain process of the same user is inspected (exit 3: protectable, not protected now)."""
    check(os.geteuid() == 0, "needs root (processes started as nobody, one with a capability)")
    py = sys.executable
    code = "import ctypes, time; ctypes.CDLL(None).prctl(%d, 0, 0, 0, 0); print('ready', flush=True); time.sleep(30)"
    nobody = ["setpriv", "--reuid=%d" % NOBODY.pw_uid, "--regid=%d" % NOBODY.pw_gid, "--clear-groups"]
    procs = {"plain": start(nobody + ["--", py, "-c", code % 0], base_env(), py),  # prctl(0): a no-op
             "undumpable": start(nobody + ["--", py, "-c", code % 4], base_env(), py),  # PR_SET_DUMPABLE 0
             "capability": start(nobody + ["--inh-caps", "+net_bind_service", "--ambient-caps", "+net_bind_service",
                                           "--", py, "-c", code % 0], base_env(), py)}
    try:
        for p in procs.values():
            check(p.stdout.readline().strip() == "ready", "python did not start")
        status = open("/proc/%d/status" % procs["capability"].pid).read()
        check(re.search(r"^CapPrm:\s*0*400$", status, re.M), "no capability held: %s" % status)
        rc, out, err = run_check(procs["plain"].pid, user=NOBODY)
        check(rc == 3 and err == "" and "libunwedge.so is not loaded" in out, "plain: %d %r %r" % (rc, out, err))
        for name, why in (("undumpable", "it is not dumpable"),
                          ("capability", "it holds capabilities this user lacks (CapPrm 400)")):
            pid = procs[name].pid
            rc, out, err = run_check(pid, user=NOBODY)
            check(rc == 2 and out == "" and err.count("\n") == 1
                  and "process %d runs as this user (uid %d), but %s" % (pid, NOBODY.pw_uid, why) in err
                  and "needs ptrace rights over it, which the user id alone does not give" in err
                  and "as root (CAP_SYS_PTRACE)" in err, "%s: exit %d %r %r" % (name, rc, out, err))
            rc, out, err = run_check(pid)  # root has CAP_SYS_PTRACE
            check(rc == 3 and "libunwedge.so is not loaded" in out, "%s as root: %d %r %r" % (name, rc, out, err))
    finally:
        for p in procs.values():
            stop(p)


@test("check/json-output", production_only=True)
def json_output():
    for target, rc_want in ((HELLO, 0), (HELLO_STATIC, 1)):
        rc, out, err = run_check(target, json_out=True)
        doc = json.loads(out)
        check(rc == rc_want and doc["protectable"] == (rc_want == 0) and doc["target"] == target,
              "%s: %d %r" % (target, rc, out))
        check(doc["verdict"] and all(set(f) == {"key", "blocks", "text"} for f in doc["findings"]), out)
        check(any(f["blocks"] for f in doc["findings"]) == (rc_want == 1), out)


@test("check/glibc-program-and-a-musl-launcher-alone", production_only=True)
def musl_launcher_alone():
    """The musl launcher with only the musl build beside it (build/musl): a glibc
    program would not start with that build, so check says it cannot be
    protected there and the launcher runs it without the preload, and says so."""
    launcher = os.path.join(BUILD, "musl", "unwedge")
    check(os.path.exists(launcher), "the musl build is missing: make builds it when musl-gcc is installed")
    p = subprocess.run([launcher, "check", HELLO], env=base_env(), capture_output=True, text=True, timeout=30)
    check(p.returncode == 1 and "glibc: linked against glibc" in p.stdout, "check: %d %r" % (p.returncode, p.stdout))
    p = subprocess.run([launcher, "--", HELLO], env=base_env(), capture_output=True, text=True, timeout=10)
    check(p.returncode == 0 and "LD_PRELOAD" not in p.stdout, "launcher: %d %r %r" % (p.returncode, p.stdout, p.stderr))
    check("linked against glibc" in p.stderr and "runs without the preload" in p.stderr
          and len(p.stderr.splitlines()) == 1, "launcher warning: %r" % p.stderr)
