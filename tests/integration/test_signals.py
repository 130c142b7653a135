"""Signals during a blocked write, as the kernel would answer them. poll() is
never restarted by the kernel, so unwedge emulates SA_RESTART: under a
restarting handler the call goes on (and the deadline still counts); without
SA_RESTART it returns EINTR, or the partial count if bytes had moved."""

from harness import Scratch, base_env, check, client, preload_env, test

T_MS = 1000


def blocked_write_with_alarms(env, restart, timeout=10, extra=()):
    args = ["--alarm-ms", 100, "--chunk", 65536] + (["--restart"] if restart else []) + list(extra)
    with Scratch() as s:
        peer = s.peer("tcp4", "never")
        return client(peer.addr, "write", env, args, timeout=timeout)


@test("signals/SA_RESTART-goes-on-until-the-deadline")
def restart():
    res, err = blocked_write_with_alarms(preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), True)
    check(res is not None, "hung")
    check(res["errno"] == "ETIMEDOUT", "want ETIMEDOUT after restarts, got %s: %s" % (res["errno"], res))
    check(res["alarms"] >= 5, "too few signals arrived during the write: %s" % res["alarms"])
    check(T_MS <= res["last_ms"] <= T_MS + 500, "the restarted call failed after %.0f ms" % res["last_ms"])


@test("signals/SA_RESTART-despite-a-fault-handler-without-it")
def restart_with_fault_handler():
    # A SIGSEGV handler cannot be what interrupted a sleeping write: it must not
    # turn a restartable interruption into EINTR.
    res, err = blocked_write_with_alarms(preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), True, extra=["--segv-handler"])
    check(res is not None and res["errno"] == "ETIMEDOUT", "want ETIMEDOUT after restarts: %s" % res)


@test("signals/SA_RESTART-goes-on-until-the-deadline/control")
def restart_control():
    res, _ = blocked_write_with_alarms(base_env(), True, timeout=2.5)
    check(res is None, "without the preload a restarted write should block for ever: %s" % res)


@test("signals/no-SA_RESTART-gives-EINTR")
def no_restart():
    for env in (preload_env(UNWEDGE_TIMEOUT="%dms" % T_MS), base_env()):
        res, err = blocked_write_with_alarms(env, False)
        check(res is not None, "hung (preload=%s)" % ("LD_PRELOAD" in env))
        check(res["errno"] == "EINTR" and res["last_ms"] < 300,
              "want EINTR at the first signal (preload=%s): %s" % ("LD_PRELOAD" in env, res))
        check("timed out" not in err, "a signal is not a timeout: %r" % err)
