"""The fleet setup of examples/kubernetes/: the cgroup layer attached once at
the node's pod cgroup root covers the processes of every container below it.
Tested here with a cgroup tree shaped like a node's (systemd driver:
kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/
cri-containerd-<id>.scope), not on a cluster: a process in the innermost
cgroup gets the user timeout on a new connection; one in a sibling tree does
not; after detach, none does."""

import json
import os
import subprocess

from harness import BUILD, LAUNCHER, base_env, check, test
from netns_support import cgroup2_root, remove_cgroups

UTOPROBE = os.path.join(BUILD, "tests", "utoprobe")
TREE = ["kubepods.slice", "kubepods-burstable.slice", "kubepods-burstable-pod0c1d.slice",
        "cri-containerd-5e6f.scope"]


def probe_in(cg):
    """utoprobe options in cgroup cg: the user timeout a new connection ends up with."""
    p = subprocess.run(["sh", "-c", 'echo $$ > "$1/cgroup.procs" && exec "$2" options', "sh", cg, UTOPROBE],
                       capture_output=True, text=True, timeout=20, env=base_env())
    check(p.returncode == 0, "utoprobe in %s: %s" % (cg, p.stderr))
    return json.loads(p.stdout)["active_after_connect"]


@test("fleet/cgroup-layer-at-pod-root-covers-nested-containers")
def nested():
    root = cgroup2_root()
    check(os.geteuid() == 0 and root and os.path.exists(UTOPROBE), "needs root, cgroup v2 and %s" % UTOPROBE)
    if not os.path.ismount("/sys/fs/bpf"):
        subprocess.run(["mount", "-t", "bpf", "bpf", "/sys/fs/bpf"], check=True, timeout=10)
    base = os.path.join(root, "unwedge-fleet-test.%d" % os.getpid())
    dirs = [base]
    for name in TREE:
        dirs.append(os.path.join(dirs[-1], name))
    sibling = os.path.join(base, "system.slice")
    for d in dirs + [sibling]:
        os.mkdir(d)
    pods = dirs[1]
    try:
        check(probe_in(dirs[-1]) == 0, "a user timeout before anything was attached")
        p = subprocess.run([LAUNCHER, "cgroup", "attach", "--path", pods, "--tcp-user-timeout", "7s"],
                           capture_output=True, text=True, timeout=20)
        check(p.returncode == 0 and "attached with tcp-user-timeout=7000ms" in p.stdout, "attach: %s %s" % (p.stdout, p.stderr))
        check(probe_in(dirs[-1]) == 7000, "the container cgroup, 4 levels below, is not covered")
        check(probe_in(dirs[2]) == 7000, "an intermediate cgroup is not covered")
        check(probe_in(sibling) == 0, "a cgroup outside the pod root got it")
        subprocess.run([LAUNCHER, "cgroup", "detach", "--path", pods], capture_output=True, timeout=20)
        check(probe_in(dirs[-1]) == 0, "still a user timeout after detach")
    finally:
        subprocess.run([LAUNCHER, "cgroup", "detach", "--path", pods], capture_output=True, timeout=20)
        remove_cgroups(*([sibling] + list(reversed(dirs))))
