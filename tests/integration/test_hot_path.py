"""The hot path: a healthy write to a blocking socket makes no system call
beyond the one the application asked for, and the library exports only the
functions it wraps and links only libc."""

import re
import shutil
import subprocess

from harness import BUILD, LIB, base_env, check, preload_env, test

N = 5000
PERCALL = BUILD + "/bench/percall"


def syscalls(env, kind, call):
    p = subprocess.run(["strace", "-f", "-c", "-U", "name,calls", "-o", "/dev/stdout", "--", PERCALL, "%s-%s" % (kind, call), str(N)],
                       env=env, capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "percall failed: %s" % p.stderr)
    counts = {}
    for line in p.stdout.splitlines():
        m = re.match(r"\s*([a-z_0-9]+)\s+(\d+)\s*$", line)
        # The draining thread's reads and futex waits vary with scheduling.
        if m and m.group(1) not in ("total", "read", "futex"):
            counts[m.group(1)] = int(m.group(2))
    return counts


@test("hot-path/no-extra-system-calls", serial=True, production_only=True)
def no_extra():
    check(shutil.which("strace"), "needs strace")
    for kind in ("unix", "tcp"):
        for call in ("write", "send", "writev", "sendmsg"):
            bare = syscalls(base_env(), kind, call)
            pre = syscalls(preload_env(UNWEDGE_TIMEOUT="5s"), kind, call)
            total_bare, total_pre = sum(bare.values()), sum(pre.values())
            # Allowed, once per process or per socket, never per write: loading the
            # preload (mmaps, opens), one page of the fd table, and for each of the
            # two sockets its classification (3 getsockopt, 1 fstat) and its user
            # timeout (getsockopt, setsockopt, fcntl).
            check(total_pre - total_bare <= 30, "%s/%s: %d system calls with the preload, %d without: %s vs %s"
                  % (kind, call, total_pre, total_bare, pre, bare))
            sends = sum(v for k, v in pre.items() if k in ("sendto", "sendmsg", "write", "writev"))
            check(N <= sends <= N + 5, "%s/%s: %d send calls for %d writes" % (kind, call, sends, N))


@test("hot-path/exports-only-wrappers-and-links-only-libc", production_only=True)
def exports():
    out = subprocess.run(["nm", "-D", "--defined-only", LIB], capture_output=True, text=True).stdout
    names = sorted(line.split()[-1] for line in out.splitlines() if line.strip())
    want = sorted(
        # the socket write paths and the calls that keep the fd cache honest
        ["accept", "accept4", "close", "close_range", "connect", "dup", "dup2", "dup3", "fcntl", "fcntl64",
         "getsockopt", "ioctl", "recvmmsg", "recvmsg", "send", "sendfile", "sendfile64", "sendmmsg", "sendmsg",
         "sendto", "setsockopt", "socket", "socketpair", "splice", "write", "writev", "pwritev2", "pwritev64v2"]
        # seccomp: step aside before a sandbox filter goes in
        + ["prctl"]
        # TLS, resolved lazily
        + ["SSL_shutdown", "SSL_write", "SSL_write_ex"]
        # stdio on sockets
        + ["_IO_putc", "__dprintf_chk", "__fprintf_chk", "__overflow", "__printf_chk", "__vdprintf_chk",
           "__vfprintf_chk", "__vprintf_chk", "dprintf", "fclose", "fflush", "fflush_unlocked", "fprintf", "fputc",
           "fputc_unlocked", "fputs", "fputs_unlocked", "fwrite", "fwrite_unlocked", "printf", "putc",
           "putc_unlocked", "putchar", "putchar_unlocked", "puts", "vdprintf", "vfprintf", "vprintf"]
        # wide stdio
        + ["__fwprintf_chk", "__vfwprintf_chk", "__vwprintf_chk", "__wprintf_chk", "fputwc", "fputwc_unlocked",
           "fputws", "fputws_unlocked", "fwprintf", "putwc", "putwc_unlocked", "putwchar", "putwchar_unlocked",
           "vfwprintf", "vwprintf", "wprintf"]
        # the error printers, on standard error
        + ["err", "errx", "perror", "psiginfo", "psignal", "verr", "verrx", "vwarn", "vwarnx", "warn", "warnx"]
        # syslog, sent by the preload itself
        + ["__syslog_chk", "__vsyslog_chk", "closelog", "openlog", "setlogmask", "syslog", "vsyslog"])
    check(names == want, "exported: %s" % names)
    needed = subprocess.run(["readelf", "-d", LIB], capture_output=True, text=True).stdout
    libs = re.findall(r"Shared library: \[([^\]]+)\]", needed)
    check(libs == ["libc.so.6"], "links %s, want only libc" % libs)


@test("hot-path/loads-into-ordinary-programs")
def loads():
    for argv in (["sh", "-c", "echo ok"], ["ls", "/"], ["python3", "-c", "print('ok')"]):
        bare = subprocess.run(argv, env=base_env(), capture_output=True, text=True, timeout=30)
        pre = subprocess.run(argv, env=preload_env(), capture_output=True, text=True, timeout=30)
        check((pre.stdout, pre.stderr, pre.returncode) == (bare.stdout, bare.stderr, bare.returncode),
              "%s differs under the preload: %r vs %r" % (argv, pre, bare))


@test("style/clang-format", production_only=True)
def style():
    check(shutil.which("clang-format"), "needs clang-format")
    p = subprocess.run(["make", "-s", "format-check"], cwd=BUILD + "/..", capture_output=True, text=True, timeout=120)
    check(p.returncode == 0, "not formatted (run make format):\n%s" % p.stderr[:2000])
