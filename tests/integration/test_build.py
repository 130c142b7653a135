"""The build's header dependencies: touching one header rebuilds what includes it
(directly or through another header) and nothing else; a new VERSION rebuilds
one object. Asked of make itself with -n -W (what if this file changed), so the
tree is not touched."""
import os
import re
import subprocess

from harness import BUILD, check, test

ROOT = os.path.dirname(os.path.abspath(BUILD))
INCLUDE = re.compile(r'^#include "([^"]+)"', re.M)


def includes(path):
    with open(os.path.join(ROOT, path)) as f:
        return INCLUDE.findall(f.read())


def resolve(name, including):
    for d in (os.path.dirname(including), "src"):
        p = os.path.normpath(os.path.join(d, name))
        if os.path.exists(os.path.join(ROOT, p)):
            return p
    return None


def reaches(path, header, seen=None):
    """Does path include header, directly or through other headers?"""
    seen = set() if seen is None else seen
    for name in includes(path):
        p = resolve(name, path)
        if p is None or p in seen:
            continue
        seen.add(p)
        if p == header or reaches(p, header, seen):
            return True
    return False


def rebuilt(what_if):
    p = subprocess.run(["make", "-n", "-W", what_if, "all"], cwd=ROOT, capture_output=True, text=True, timeout=60)
    check(p.returncode == 0, "make -n failed: %s" % p.stderr[-1000:])
    return sorted(set(re.findall(r'echo "  CC +(\S+)"', p.stdout))), p.stdout


@test("build/touching-a-header-rebuilds-its-includers-only", production_only=True)
def header_deps():
    """Control: the expected set is found by reading the sources' #include lines, not from make."""
    sources = sorted("%s/%s" % (d, f) for d in ("src", "preload") for f in os.listdir(os.path.join(ROOT, d))
                     if f.endswith(".c"))
    want = [s for s in sources if reaches(s, "src/clock.h")]
    check(len(want) >= 3, "the control found too few includers of src/clock.h: %s" % want)
    got, out = rebuilt("src/clock.h")
    check(got == want, "touching src/clock.h rebuilds %s, expected %s" % (got, want))
    check("LD      build/libunwedge.so" in out, "the preload is not relinked:\n%s" % out[-2000:])


@test("build/new-version-rebuilds-one-object", production_only=True)
def version_deps():
    got, out = rebuilt("VERSION")
    check(got == ["build/tool-obj/version.o"], "a new VERSION rebuilds %s" % got)
    relinked = [l for l in out.splitlines() if re.search(r'echo "  LD +\S*libunwedge\.so"', l)]
    check(not relinked, "a new VERSION relinks the preload: %s" % relinked)
