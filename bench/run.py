#!/usr/bin/env python3
"""make bench: measures what unwedge costs on healthy traffic and how well it
keeps its promise on wedged traffic, and writes BENCHMARKS.md and the plots in
bench/results/. Every ratio is taken in the same invocation against the same
binary without the preload, with the variants alternated run by run.

    python3 bench/run.py [--quick] [SECTION...]
    SECTIONS: percall instructions syscalls startup precision scale layers watch
"""

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "tests"))
import measure  # noqa: E402
from measure import BUILD, LIB, PERCALL, ROOT, clean_env, median, percentile  # noqa: E402

QUICK = "--quick" in sys.argv
SECTIONS = [a for a in sys.argv[1:] if not a.startswith("--")]
RESULTS = os.path.join(ROOT, "bench", "results")
B = os.path.join(BUILD, "bench")
WCLIENT = os.path.join(BUILD, "tests", "wclient")
WPEER = os.path.join(BUILD, "tests", "wpeer")
LAYERS = {"none": None, "sndtimeo-only": os.path.join(B, "liblayer_sndtimeo.so"),
          "user-timeout-only": os.path.join(B, "liblayer_uto.so"), "unwedge": LIB}


def want(section):
    return not SECTIONS or section in SECTIONS


def run_json(argv, env, timeout=600):
    p = subprocess.run(argv, env=env, capture_output=True, text=True, timeout=timeout)
    for line in p.stdout.splitlines():
        if line.startswith("{"):
            return json.loads(line)
    raise RuntimeError("%s: no result: %s %s" % (argv, p.stdout, p.stderr))


def start_peer(mode, tmp, name, extra=()):
    """A wpeer on TCP loopback; returns (process, port)."""
    portfile = os.path.join(tmp, "port-" + name)
    peer = subprocess.Popen([WPEER, "tcp4:127.0.0.1:0", mode, "--portfile", portfile] + list(extra),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(500):
        if os.path.exists(portfile):
            return peer, open(portfile).read().strip()
        time.sleep(0.01)
    peer.kill()
    raise RuntimeError("wpeer did not start")


def tls_cert(tmp):
    cert, key = os.path.join(tmp, "c.pem"), os.path.join(tmp, "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
                    "-days", "1", "-subj", "/CN=localhost"], capture_output=True, check=True)
    return [cert, key]


# 1. Per-call time, as the median of paired ratios over alternated runs.
def percall(tmp):
    # Many short alternated pairs: the machine's drift then hits both sides alike.
    rounds = 7 if QUICK else 41
    modes = [("devnull-write", 500000, []), ("unix-write", 100000, []), ("unix-send", 100000, []),
             ("unix-writev", 100000, []), ("unix-sendmsg", 100000, []), ("tcp-write", 40000, []),
             ("tcp-send", 40000, []), ("tcp-writev", 40000, []), ("tcp-sendmsg", 40000, []),
             ("tls-write", 8000, tls_cert(tmp))]
    out = {}
    for mode, n, extra in modes:
        if QUICK:
            n //= 4
        bare, pre, ratios = [], [], []
        for r in range(rounds):
            pair = {}
            order = (False, True) if r % 2 == 0 else (True, False)
            for preload in order:
                env = clean_env(LD_PRELOAD=LIB) if preload else clean_env()
                pair[preload] = run_json([PERCALL, mode, str(n)] + extra, env)["ns_per_call"]
            bare.append(pair[False])
            pre.append(pair[True])
            ratios.append(pair[True] / pair[False])
        out[mode] = {"ns_bare": median(bare), "ns_preload": median(pre), "ratio": median(ratios),
                     "ratio_p25": percentile(ratios, 25), "ratio_p75": percentile(ratios, 75), "rounds": rounds}
        print("percall %-14s %8.1f ns -> %8.1f ns  ratio %.3f" % (mode, median(bare), median(pre), median(ratios)), flush=True)
    return out


# 2. Instructions per call (deterministic; CI holds them against bench/budget.json).
def instructions(tmp):
    out = {}
    for mode in ("devnull-write", "unix-write", "unix-send", "unix-writev", "unix-sendmsg", "tcp-write"):
        bare = measure.instructions_per_call(mode, False)
        pre = measure.instructions_per_call(mode, True)
        out[mode] = {"bare": bare, "preload": pre, "added": pre - bare}
        print("instructions %-14s %6.1f -> %6.1f (+%.1f)" % (mode, bare, pre, pre - bare), flush=True)
    return out


# 3. System calls on the fast paths.
def syscalls(tmp):
    import re
    n = 20000
    out = {}
    for kind in ("unix", "tcp"):
        for call in ("write", "send", "writev", "sendmsg"):
            counts = {}
            for preload in (False, True):
                env = clean_env(LD_PRELOAD=LIB) if preload else clean_env()
                p = subprocess.run(["strace", "-f", "-c", "-U", "name,calls", "-o", "/dev/stdout", "--",
                                    PERCALL, "%s-%s" % (kind, call), str(n)],
                                   env=env, capture_output=True, text=True, timeout=300)
                total = 0
                for line in p.stdout.splitlines():
                    m = re.match(r"\s*([a-z_0-9]+)\s+(\d+)\s*$", line)
                    if m and m.group(1) not in ("total", "read", "futex"):
                        total += int(m.group(2))
                counts[preload] = total
            out["%s-%s" % (kind, call)] = {"writes": n, "bare": counts[False], "preload": counts[True],
                                           "extra": counts[True] - counts[False]}
            print("syscalls %s-%s: %d -> %d for %d writes" % (kind, call, counts[False], counts[True], n), flush=True)
    return out


# 4. Start-up of /bin/true: bare, an empty preload, unwedge; alternated run by run.
def startup(tmp):
    rounds = 300 if QUICK else 1500
    res = run_json([os.path.join(B, "startup"), str(rounds), "bare=", "empty=" + os.path.join(B, "libempty.so"),
                    "unwedge=" + LIB], clean_env())
    by = {}
    for r in res["runs"]:
        by.setdefault(r["round"], {})[r["variant"]] = r["us"]
    rounds_ = [v for v in by.values() if len(v) == 3]
    out = {"rounds": len(rounds_)}
    for name in ("bare", "empty", "unwedge"):
        out["us_" + name] = median([v[name] for v in rounds_])
    out["empty_over_bare"] = median([v["empty"] / v["bare"] for v in rounds_])
    out["unwedge_over_bare"] = median([v["unwedge"] / v["bare"] for v in rounds_])
    out["unwedge_over_empty"] = median([v["unwedge"] / v["empty"] for v in rounds_])
    # Does a process that never writes to a socket load libssl or libunwind?
    maps = subprocess.run(["sh", "-c", "cat /proc/self/maps"], env=clean_env(LD_PRELOAD=LIB), capture_output=True, text=True).stdout
    out["loads_libssl"] = "libssl" in maps
    out["loads_libunwind"] = "libunwind" in maps
    print("startup %s" % out, flush=True)
    return out


def wedge_once(t_ms, tmp, idx):
    peer, port = start_peer("never", tmp, "precision%d" % idx)
    try:
        res = run_json([WCLIENT, "tcp4:127.0.0.1:" + port, "write", "--chunk", "65536"],
                       clean_env(LD_PRELOAD=LIB, UNWEDGE_TIMEOUT="%dms" % t_ms, UNWEDGE_LOG="off"), timeout=t_ms / 1000 + 30)
        return res["short_ms"] - t_ms
    finally:
        peer.kill()
        peer.wait()


# 5. Deadline precision: how late (or early) a zero-window write fails.
def precision(tmp):
    out = {}
    plan = [(100, 100, 10), (1000, 100, 10), (5000, 20, 20)]
    if QUICK:
        plan = [(100, 20, 10), (1000, 20, 10), (5000, 4, 4)]
    for t_ms, trials, parallel in plan:
        with ThreadPoolExecutor(max_workers=parallel) as ex:
            errors = list(ex.map(lambda i: wedge_once(t_ms, tmp, t_ms * 1000 + i), range(trials)))
        out[str(t_ms)] = {"trials": trials, "concurrent": parallel, "errors_ms": errors,
                          "p50": percentile(errors, 50), "p99": percentile(errors, 99),
                          "min": min(errors), "max": max(errors)}
        print("precision T=%dms: p50 %+.1f ms, p99 %+.1f ms, min %+.1f, max %+.1f" % (
            t_ms, percentile(errors, 50), percentile(errors, 99), min(errors), max(errors)), flush=True)
    return out


# 6. Scale: many wedged sockets in one process; the fd table's memory.
def scale(tmp):
    n = 2000 if QUICK else 10000
    out = {}
    for mode in ("threads", "roundrobin"):
        res = run_json([os.path.join(B, "scale"), str(n), mode],
                       clean_env(LD_PRELOAD=LIB, UNWEDGE_TIMEOUT="2s", UNWEDGE_LOG="off"), timeout=600)
        out[mode] = res
        print("scale %s" % res, flush=True)
    mem = {}
    for count in (0, 1, 1000, 1000000):
        for preload in (False, True):
            env = clean_env(LD_PRELOAD=LIB) if preload else clean_env()
            r = run_json([os.path.join(B, "fdmem"), str(count)], env)
            mem["%d-%s" % (count, "preload" if preload else "bare")] = r["rss_after_kib"] - r["rss_before_kib"]
    out["fd_table_kib"] = mem
    print("fd table memory %s" % mem, flush=True)
    return out


# 7. What each layer buys: time to failure per scenario, and cost per call.
def layer_run(layer, scenario, tmp, idx):
    t_ms = 1000
    env = clean_env(LAYER_MS=t_ms, UNWEDGE_TIMEOUT="%dms" % t_ms, UNWEDGE_LOG="off")
    if LAYERS[layer]:
        env["LD_PRELOAD"] = LAYERS[layer]
    limit = 8.0
    if scenario == "black-hole":
        script = os.path.join(ROOT, "tests", "integration", "blackhole.sh")
        p = subprocess.run(["unshare", "-n", "sh", script, WPEER, WCLIENT, str(limit)], env=env,
                           capture_output=True, text=True, timeout=60)
        if "BLOCKED" in p.stdout:
            return {"failed_after_ms": None, "result": "still blocked at %.0f s" % limit}
        res = json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][0])
    else:
        mode = "never" if scenario == "zero-window" else "slow:500000"
        extra = [] if scenario == "zero-window" else ["--rcvbuf", "65536"]
        peer, port = start_peer(mode, tmp, "layer%d" % idx, extra)
        try:
            args = ["--chunk", 65536] if scenario == "zero-window" else ["--chunk", 2 << 20, "--total", 2 << 20, "--sndbuf", 65536]
            p = subprocess.run(["timeout", "-s", "KILL", str(limit), WCLIENT, "tcp4:127.0.0.1:" + port, "write"] + [str(a) for a in args],
                               env=env, capture_output=True, text=True)
            if p.returncode == 137 or not p.stdout.strip():
                return {"failed_after_ms": None, "result": "still blocked at %.0f s" % limit}
            res = json.loads([l for l in p.stdout.splitlines() if l.startswith("{")][0])
        finally:
            peer.kill()
            peer.wait()
    if res["short_ms"] < 0:
        return {"failed_after_ms": None, "result": "completed in %.1f s" % (res["total_ms"] / 1000)}
    what = res["short_errno"] if res["short_ret"] < 0 else "partial count"
    return {"failed_after_ms": res["short_ms"], "result": "%s after %.2f s" % (what, res["short_ms"] / 1000)}


def layers(tmp):
    out = {"T_ms": 1000, "scenarios": {}, "cost": {}}
    scenarios = ["zero-window", "black-hole", "slow-reader"]
    jobs = [(layer, sc) for sc in scenarios for layer in LAYERS]
    with ThreadPoolExecutor(max_workers=4) as ex:
        results = list(ex.map(lambda j: layer_run(j[0], j[1], tmp, hash(j) & 0xffff), jobs))
    for (layer, sc), res in zip(jobs, results):
        out["scenarios"].setdefault(sc, {})[layer] = res
        print("layers %-12s %-18s %s" % (sc, layer, res["result"]), flush=True)
    rounds = 5 if QUICK else 11
    for layer, lib in LAYERS.items():
        ratios = []
        for r in range(rounds):
            bare = run_json([PERCALL, "unix-write", "200000"], clean_env())["ns_per_call"]
            env = clean_env(LD_PRELOAD=lib) if lib else clean_env()
            this = run_json([PERCALL, "unix-write", "200000"], env)["ns_per_call"]
            ratios.append(this / bare)
        out["cost"][layer] = median(ratios)
        print("layers cost %-18s %.3f" % (layer, median(ratios)), flush=True)
    return out


def plot(results):
    if not shutil.which("gnuplot"):
        print("gnuplot not found: no plots (apt-get install gnuplot-nox)")
        return
    os.makedirs(RESULTS, exist_ok=True)
    if "precision" in results:
        data = os.path.join(RESULTS, "precision.dat")
        with open(data, "w") as f:
            for t, r in sorted(results["precision"].items(), key=lambda kv: int(kv[0])):
                errs = sorted(r["errors_ms"])
                for i, e in enumerate(errs):
                    f.write("%f %f\n" % (e, (i + 1) / len(errs)))
                f.write("\n\n")
        keys = sorted(results["precision"], key=int)
        lines = ", ".join("'%s' index %d using 1:2 with steps lw 2 title 'T = %s ms'" % (data, i, k) for i, k in enumerate(keys))
        subprocess.run(["gnuplot", "-e", "set terminal png size 800,480; set output '%s'; set title 'When a zero-window write fails, relative to its deadline (CDF)'; "
                        "set xlabel 'failure time minus deadline (ms)'; set ylabel 'fraction of trials'; set key bottom right; set grid; plot %s"
                        % (os.path.join(RESULTS, "precision.png"), lines)], check=True)
    if "percall" in results:
        data = os.path.join(RESULTS, "percall.dat")
        with open(data, "w") as f:
            for mode, r in results["percall"].items():
                f.write("%s %f %f %f\n" % (mode, r["ratio"], r["ratio_p25"], r["ratio_p75"]))
        subprocess.run(["gnuplot", "-e", "set terminal png size 900,480; set output '%s'; set title 'Time per call with the preload / without (median of paired runs, bars: quartiles)'; "
                        "set style data histogram; set style fill solid 0.6; set boxwidth 0.6; set yrange [0.9:1.2]; set grid y; set xtics rotate by -30; "
                        "set ylabel 'ratio'; plot '%s' using 0:2:3:4:xtic(1) with yerrorbars notitle lw 2, '' using 0:2 with boxes notitle, 1.02 with lines dt 2 title 'goal: 1.02'"
                        % (os.path.join(RESULTS, "percall.png"), data)], check=True)


def watch(tmp):
    """One `unwedge watch --once` scan of 10,000 connections (bench/watch_scan.py)."""
    n = 2000 if QUICK else 10000
    res = run_json([sys.executable, os.path.join(ROOT, "bench", "watch_scan.py"), str(n)], clean_env())
    print("watch scan %s" % res, flush=True)
    return res


def main():
    os.makedirs(RESULTS, exist_ok=True)
    path = os.path.join(RESULTS, "results.json")
    results = json.load(open(path)) if os.path.exists(path) and SECTIONS else {}
    tmp = tempfile.mkdtemp(prefix="unwedge-bench.")
    try:
        for name, fn in (("percall", percall), ("instructions", instructions), ("syscalls", syscalls),
                         ("startup", startup), ("precision", precision), ("scale", scale), ("layers", layers), ("watch", watch)):
            if want(name):
                results[name] = fn(tmp)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    results["machine"] = {"kernel": os.uname().release, "cpus": os.cpu_count(), "quick": QUICK,
                          "date": time.strftime("%Y-%m-%d")}
    json.dump(results, open(path, "w"), indent=1)
    plot(results)
    subprocess.run([sys.executable, os.path.join(ROOT, "bench", "report.py")], check=True)


if __name__ == "__main__":
    main()
