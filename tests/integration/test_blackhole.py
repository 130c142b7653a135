"""A black hole: the network silently drops everything (a private network
namespace whose input is dropped by nftables). The write fails within T + 1 s;
without the preload it is still blocked after T + 2 s (it would wait out
tcp_retries2, about 15 minutes)."""

import os
import shutil
import subprocess

from harness import ROOT, WCLIENT, WPEER, base_env, check, json_line, preload_value, test

T_MS = 1500
SCRIPT = os.path.join(ROOT, "tests", "integration", "blackhole.sh")


def run(preload):
    check(shutil.which("nft") and shutil.which("unshare"), "needs unshare and nft (Debian package nftables)")
    # As root a plain network namespace; otherwise one inside a user namespace.
    unshare = ["unshare", "-n"] if os.geteuid() == 0 else ["unshare", "-rn"]
    env = base_env(UNWEDGE_TIMEOUT="%dms" % T_MS)
    if preload:
        env["LD_PRELOAD"] = preload_value()
    limit = T_MS / 1000 + 3
    p = subprocess.run(unshare + ["sh", SCRIPT, WPEER, WCLIENT, str(limit), "--after-fail", "1"],
                       env=env, capture_output=True, text=True, timeout=limit + 20)
    check("NFT-FAILED" not in p.stdout, "nft could not install the drop rule: %s" % p.stderr)
    return p.stdout, p.stderr


@test("blackhole/tcp4/write")
def blackhole():
    out, err = run(True)
    res = json_line(out, '"calls"')
    check(res is not None, "the client was still blocked: %s %s" % (out, err))
    check(res["errno"] == "ETIMEDOUT", "final errno %s, want ETIMEDOUT" % res["errno"])
    check(T_MS <= res["short_ms"] <= T_MS + 1000, "failed after %.0f ms, want %d..%d" % (res["short_ms"], T_MS, T_MS + 1000))
    check("write timed out" in err, "no log line: %r" % err)


@test("blackhole/tcp4/write/control")
def blackhole_control():
    out, err = run(False)
    check(out.strip() == "BLOCKED", "without the preload the write did not stay blocked: %s %s" % (out, err))
