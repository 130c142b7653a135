"""The option sections of README.md and unwedge(1) are generated from the
settings table (src/config.c) and the launcher's options (tools/launch_options.c)
by tools/gen_docs.c; `make docs` writes them. Out of date: this fails."""

import os
import shutil
import subprocess

from harness import BUILD, ROOT, Scratch, check, test

GEN = os.path.join(BUILD, "gen_docs")
FILES = [os.path.join(ROOT, "README.md"), os.path.join(ROOT, "man", "unwedge.1")]


@test("docs/generated-option-sections-are-up-to-date", production_only=True)
def up_to_date():
    check(os.path.exists(GEN), "%s is not built (make builds it)" % GEN)
    p = subprocess.run([GEN, "--check"] + FILES, capture_output=True, text=True, timeout=20)
    check(p.returncode == 0, "run 'make docs': %s" % p.stderr)
    # The check sees a section edited by hand, and --update repairs it.
    with Scratch() as s:
        for path in FILES:
            copy = os.path.join(s.dir, os.path.basename(path))
            shutil.copy(path, copy)
            text = open(copy).read()
            open(copy, "w").write(text.replace("UNWEDGE_LOG_RATE", "UNWEDGE_LOG_RATES", 1))
            p = subprocess.run([GEN, "--check", copy], capture_output=True, text=True, timeout=20)
            check(p.returncode == 1 and "out of date" in p.stderr, "%s: edit not seen: %r" % (path, p.stderr))
            p = subprocess.run([GEN, "--update", copy], capture_output=True, text=True, timeout=20)
            check(p.returncode == 0 and open(copy).read() == text, "%s: --update did not restore it" % path)
