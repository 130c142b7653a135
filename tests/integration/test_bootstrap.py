"""Bootstrap (issue 4, item 6): what happens around unwedge's own start-up.

- Programs on jemalloc and tcmalloc, the allocator and unwedge preloaded in
  both orders: a wedged write still fails with ETIMEDOUT within T + 0.5 s
  (control: the allocator alone, the write hangs), and a healthy Python
  workload prints exactly what it prints with no preload at all.
- A library dlopen()ed late (RTLD_LOCAL) whose write meets a wedged peer: its
  calls are bound to the wrappers and time out (control: no preload, hangs).
- A preloaded library whose constructor writes to stderr, to an AF_UNIX pair
  and to a loopback TCP pair before unwedge's constructor has run: no crash,
  the early bytes arrive intact, and once unwedge is in force the same sockets
  are protected (control: no unwedge, the same wedge hangs). glibc runs the
  constructors of LD_PRELOAD entries from the last to the first, so the
  library must come AFTER libunwedge to run first; both orders are run, and
  the test checks from the order of the stderr lines that at least one of them
  really ran the early constructor first.

The allocator tests are about the production build: the sanitizer runtimes
replace malloc themselves, so a second allocator means nothing there."""

import os
import sys

from harness import (BUILD, LIB, PRELOAD_PREFIX, ROOT, SANITIZER, Scratch, base_env, check, client, finish, json_line, preload_value,
                     spawn, test)

T_MS = 1000
WBOOT = os.path.join(BUILD, "tests", "wboot")
LIBWEARLY = os.path.join(BUILD, "tests", "libwearly.so")
LIBWLATE = os.path.join(BUILD, "tests", "libwlate.so")
PY_WORKLOAD = os.path.join(ROOT, "tests", "helpers", "py_workload.py")
LIBDIR = "/usr/lib/x86_64-linux-gnu"
ALLOCATORS = {"jemalloc": LIBDIR + "/libjemalloc.so.2", "tcmalloc": LIBDIR + "/libtcmalloc_minimal.so.4"}


def with_preload(value, **extra):
    return base_env(LD_PRELOAD=value, **extra)


def orders(alloc):
    """LD_PRELOAD values: allocator first, then unwedge first."""
    lib = ALLOCATORS[alloc]
    check(os.path.exists(lib), "%s is missing (tools/install-deps installs it)" % lib)
    return {"allocator-first": lib + ":" + preload_value(), "unwedge-first": preload_value() + ":" + lib}


def symbols(env):
    out, err, rc = finish(spawn([WBOOT, "symbols"], env=env), 10)
    res = json_line(out or "", "malloc_from")
    check(rc == 0 and res, "wboot symbols failed (rc %s): %s %s" % (rc, out, err))
    return res


def allocator_wedge(alloc):
    for name, value in orders(alloc).items():
        env = with_preload(value, UNWEDGE_TIMEOUT="%dms" % T_MS)
        sym = symbols(env)
        check(sym["malloc_from"] == ALLOCATORS[alloc] and sym["write_from"] == LIB,
              "%s %s: malloc from %s, write from %s" % (alloc, name, sym["malloc_from"], sym["write_from"]))
        with Scratch() as s:
            peer = s.peer("tcp4", "never")
            res, err = client(peer.addr, "write", env, ["--after-fail", 1, "--total", 64 << 20], timeout=15)
        check(res is not None, "%s %s: the write was still blocked: the preload did not act" % (alloc, name))
        check(res["errno"] == "ETIMEDOUT" and T_MS <= res["short_ms"] <= T_MS + 500,
              "%s %s: the wedged write gave %s after %.0f ms, want ETIMEDOUT in %d..%d ms"
              % (alloc, name, res["errno"], res["short_ms"], T_MS, T_MS + 500))
        check(res["after_errno"] == "ETIMEDOUT", "%s %s: a later write: %s" % (alloc, name, res))
        check(err.count("write timed out") == 1, "%s %s: want one log line: %r" % (alloc, name, err))


def allocator_wedge_control(alloc):
    lib = ALLOCATORS[alloc]
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        res, _ = client(peer.addr, "write", with_preload(lib), ["--total", 64 << 20], timeout=T_MS / 1000 + 1.5)
    check(res is None, "with %s alone the write did not hang: %s" % (alloc, res))


def allocator_healthy(alloc):
    bare_out, bare_err, bare_rc = finish(spawn([sys.executable, PY_WORKLOAD], env=base_env()), 60)
    check(bare_rc == 0 and json_line(bare_out, "sent_sha"), "the workload failed without a preload: %s" % bare_err)
    for name, value in orders(alloc).items():
        out, err, rc = finish(spawn([sys.executable, PY_WORKLOAD],
                                    env=with_preload(value, UNWEDGE_TIMEOUT="%dms" % T_MS)), 60)
        check(rc == bare_rc and out == bare_out,
              "%s %s: rc %s, output %r; without a preload rc %s, %r (stderr %s)"
              % (alloc, name, rc, out, bare_rc, bare_out, err[-1000:]))
        check("unwedge:" not in err, "%s %s: unwedge spoke: %s" % (alloc, name, err))


if not SANITIZER:
    for _alloc in ALLOCATORS:
        test("bootstrap/%s/wedged-write-times-out" % _alloc)(lambda a=_alloc: allocator_wedge(a))
        test("bootstrap/%s/wedged-write-times-out/control" % _alloc)(lambda a=_alloc: allocator_wedge_control(a))
        test("bootstrap/%s/healthy-program-unchanged" % _alloc)(lambda a=_alloc: allocator_healthy(a))


@test("bootstrap/dlopen-late-library-writes-to-a-wedged-socket")
def late_dlopen():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        env = with_preload(preload_value(), UNWEDGE_TIMEOUT="%dms" % T_MS)
        out, err, rc = finish(spawn([WBOOT, "dlopen", LIBWLATE, peer.addr], env=env), 15)
    res = json_line(out or "", "malloc_from")
    check(rc == 0 and res and res.get("done"), "wboot dlopen: rc %s, %s %s" % (rc, out, err))
    check(res["late_errno"] == "ETIMEDOUT" and T_MS <= res["late_ms"] <= T_MS + 500,
          "the late library's write: %s, want ETIMEDOUT in %d..%d ms" % (res, T_MS, T_MS + 500))
    check(res["late_bytes"] > 0 and "write timed out" in err, "no bytes or no log line: %s %r" % (res, err))


@test("bootstrap/dlopen-late-library-writes-to-a-wedged-socket/control")
def late_dlopen_control():
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        out, err, rc = finish(spawn([WBOOT, "dlopen", LIBWLATE, peer.addr], env=base_env()), T_MS / 1000 + 1.5)
    check(rc is None, "without the preload the late library's write did not hang: %s" % out)


def early(order):
    libs = [LIB, LIBWEARLY] if order == "unwedge-first" else [LIBWEARLY, LIB]
    # A sanitizer runtime must stay first of all.
    env = with_preload(":".join(([PRELOAD_PREFIX] if PRELOAD_PREFIX else []) + libs), WEARLY=1, UNWEDGE_TIMEOUT="%dms" % T_MS, UNWEDGE_ORDER_PROBE=1)
    out, err, rc = finish(spawn([WBOOT, "early"], env=env), 15)
    res = json_line(out or "", "malloc_from")
    check(rc == 0 and res and res.get("done"), "%s: wboot early crashed or hung: rc %s, %s %s" % (order, rc, out, err))
    check("wearly: constructor done" in err, "%s: the constructor did not finish: %r" % (order, err))
    check(res["present"] and res["unix_early_ok"] and res["tcp_early_ok"],
          "%s: the constructor's bytes did not arrive intact: %s" % (order, res))
    for kind in ("unix", "tcp"):
        ms, e, after = res[kind + "_ms"], res[kind + "_errno"], res[kind + "_after_errno"]
        check((e == "ETIMEDOUT" or (e == "short" and after == "ETIMEDOUT")) and T_MS <= ms <= T_MS + 500,
              "%s: the %s pair made early was not protected later: %s" % (order, kind, res))
    check(res["tcp_uto"] == T_MS, "%s: the early TCP socket's user timeout: %s" % (order, res["tcp_uto"]))
    # The unknown variable makes unwedge's constructor speak: which came first?
    ctor, ours = err.find("wearly: constructor writing"), err.find("unwedge: unknown variable UNWEDGE_ORDER_PROBE")
    check(ctor >= 0 and ours >= 0, "%s: a constructor did not run: %r" % (order, err))
    return ctor < ours


@test("bootstrap/constructor-writes-before-unwedge-is-initialised")
def early_ctor():
    ran_first = {order: early(order) for order in ("unwedge-first", "unwedge-last")}
    check(any(ran_first.values()), "in no order did the other constructor run before unwedge's: %s" % ran_first)
    check(ran_first["unwedge-first"] and not ran_first["unwedge-last"],
          "glibc's constructor order changed (update the docstring): %s" % ran_first)


@test("bootstrap/constructor-writes-before-unwedge-is-initialised/control")
def early_ctor_control():
    env = with_preload(":".join(([PRELOAD_PREFIX] if PRELOAD_PREFIX else []) + [LIBWEARLY]), WEARLY=1)
    out, err, rc = finish(spawn([WBOOT, "early"], env=env), T_MS / 1000 + 1.5)
    check(rc is None, "without unwedge the wedged pair did not hang: %s" % out)
    check("wearly: constructor done" in err, "the constructor did not run: %r" % err)
