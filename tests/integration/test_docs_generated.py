"""The option sections of README.md and unwedge(1) are generated from the
settings table (src/config.c) and the launcher's options (tools/launch_options.c)
by tools/gen_docs.c; `make docs` writes them. Out of date: this fails."""

import os
import shutil
import subprocess

from harness import BUILD, ROOT, Scratch, check, test

GEN = os.path.join(BUILD, "gen_docs")
FILES = [os.path.join(ROOT, "README.md"), os.path.join(ROOT, "man", "unwedge.1"), os.path.join(ROOT, "man", "unwedge.7"),
         os.path.join(ROOT, "tools", "unwedge.bash-completion")]


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
            at = text.index("\n", text.index("generated from the settings table by tools/gen_docs.c")) + 1
            open(copy, "w").write(text[:at] + "a line edited by hand\n" + text[at:])
            p = subprocess.run([GEN, "--check", copy], capture_output=True, text=True, timeout=20)
            check(p.returncode == 1 and "out of date" in p.stderr, "%s: edit not seen: %r" % (path, p.stderr))
            p = subprocess.run([GEN, "--update", copy], capture_output=True, text=True, timeout=20)
            check(p.returncode == 0 and open(copy).read() == text, "%s: --update did not restore it" % path)


@test("docs/bash-completion-from-the-table", production_only=True)
def completion():
    script = os.path.join(ROOT, "tools", "unwedge.bash-completion")

    def complete(*words):
        cmd = 'source "%s"; COMP_WORDS=(%s); COMP_CWORD=%d; _unwedge; printf "%%s\\n" "${COMPREPLY[@]}"' % (
            script, " ".join("'%s'" % w for w in words), len(words) - 1)
        p = subprocess.run(["bash", "-c", cmd], capture_output=True, text=True, timeout=10)
        check(p.returncode == 0, "%s: %r" % (words, p.stderr))
        return p.stdout.split()

    check(complete("unwedge", "--dead") == ["--deadline"], complete("unwedge", "--dead"))
    check(set(complete("unwedge", "--deadline", "")) == {"idle", "total"}, complete("unwedge", "--deadline", ""))
    check("--dry-run" in complete("unwedge", "--timeout", "5s", "--d"), "switches after a value")
    check(set(complete("unwedge", "--log-format", "")) == {"text", "json"}, "choice words")
    check("config" in complete("unwedge", "con"), "subcommands")
