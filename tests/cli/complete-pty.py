#!/usr/bin/env python3
# SPDX-License-Identifier: LGPL-2.1-or-later
"""Drive completion/pcibind.bash in a real interactive bash on a pty.

Each case types a command line, presses TAB as a user would, and reads what
bash shows: the matches it lists (show-all-if-ambiguous) or the word it
completes in place. Bash itself splits the words (COMP_WORDBREAKS, '=' and
':'), runs the completion function and trims what it shows, so the test
sees what a user sees.

Usage: complete-pty.py CASES_FILE; each line "want|absent WORD[,WORD...] LINE",
with @ROOT@ replaced by the laptop fixture's sysfs root: every WORD is (want)
or none is (absent) among what bash shows. Exit 1 on a failure.
"""
import os
import pty
import re
import select
import sys
import time

BUILD = os.environ.get("BUILD", "build")
ROOT = os.path.join(BUILD, "fixtures", "laptop", "sys")
PROMPT = "PCIBIND-TEST$ "


def read_until(fd, marker, limit=30.0):
    """Everything bash writes until MARKER, after reading on to the prompt
    that follows it: input typed before readline is back would meet the
    tty's cooked mode (TAB echoed, ^U erasing the line)."""
    out = ""
    end = time.time() + limit

    def done():
        cut = out.replace("\r", "")
        return marker in cut and PROMPT in cut[cut.find(marker):]

    while not done() and time.time() < end:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk.decode("utf-8", "replace")
    cut = out.replace("\r", "")
    return cut[: cut.find(marker)] if marker in cut else cut


def clean(text):
    text = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", text)
    text = re.sub(r"\x1b[()][A-Z0-9]", "", text)
    return text.replace("\r", "").replace("\x07", "")


def main():
    cases = []
    with open(sys.argv[1]) as f:
        for line in f:
            line = line.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            kind, word, typed = line.split(" ", 2)
            cases.append((kind, word, typed.replace("@ROOT@", ROOT)))

    env = dict(os.environ, TERM="dumb", PS1=PROMPT, INPUTRC="/dev/null", HISTFILE="/dev/null")
    pid, fd = pty.fork()
    if pid == 0:
        os.execvpe("bash", ["bash", "--norc", "--noprofile", "-i"], env)
    setup = (
        "bind 'set show-all-if-ambiguous on'; bind 'set completion-query-items 0'; "
        "bind 'set page-completions off'; bind 'set bell-style none'; "
        "bind 'set horizontal-scroll-mode on'; stty cols 1000; "
        ". completion/pcibind.bash; PS1='%s'\n" % PROMPT
    )
    os.write(fd, setup.encode() + b"echo __SET''UP__\n")
    read_until(fd, "\n__SETUP__")

    passed = failed = 0
    for kind, word, typed in cases:
        # readline runs the completion for TAB before it reads the keys after
        # it: kill the line, and a marker that only the command's output has
        os.write(fd, (typed + "\t" + "\x15" + "echo __DO''NE__\n").encode())
        shown = read_until(fd, "\n__DONE__")
        shown = clean(shown)
        # the matches listed, or the line with the word completed in place
        tokens = set(shown.split())
        tokens |= {t.rstrip("/") for t in tokens}
        words = word.split(",")
        if kind == "want":
            ok = all(w in tokens for w in words)
        else:
            ok = not any(w in tokens for w in words)
        if ok:
            passed += 1
            print("ok completion %s %r %s" % (kind, word, typed))
        else:
            failed += 1
            print("FAIL completion %s %r after typing %r; bash showed: %r" % (kind, word, typed, shown))
    os.write(fd, b"exit\n")
    os.waitpid(pid, 0)
    print("completion: %d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
