#!/usr/bin/env python3
"""Runs the commands documented in Markdown files and compares their output
with the text, so that the documentation cannot drift from the program.

Marker convention. An HTML comment on the line before a fenced code block
marks it:

    <!-- docs-test -->                  the block is run and compared
    <!-- docs-test: skip: REASON -->    the block is listed as skipped

In a marked block, a line starting with "$ " is a command (a trailing "\\"
continues it on the next line), and the lines after it, up to the next
command, are its expected output: its stdout, then its stderr. A line "..."
stands for any number of lines. Every block that holds a "$ " line and
output lines must carry a marker, so that a new example is either checked
or says why not.

The commands run with bash, in order, in a scratch directory that holds
`build/evalsim` (the binary under test) and links to the repository's
`scenarios/`, `tests/`, `docs/` and `tools/`; the blocks of one file share
it, so a block may read what an earlier block wrote. `$?` is the previous
command's exit code.

Lines are compared after masking what varies between runs: wall times
("0.04 s"), thread counts ("on 2 threads"), the memory the machine has
available, and the timing column ("fit ms") of the run table.

    tools/docs_check.py --evalsim BUILD/evalsim [--root DIR] FILE.md...
    tools/docs_check.py --evalsim BUILD/evalsim --update FILE.md...
    tools/docs_check.py --evalsim BUILD/evalsim --self-test

--update rewrites each marked block's output from the real output (the
"..." elisions stay), for after a change that moves the documented numbers.
Exit code: 0 when every checked block matches, 1 otherwise.
"""
import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile

MARK = re.compile(r"^<!--\s*docs-test(?::\s*skip:\s*(?P<reason>.*?))?\s*-->\s*$")
FENCE = re.compile(r"^(```|~~~)")
LINKED = ("scenarios", "tests", "docs", "tools")
TIMEOUT = 300

MASKS = [
    (re.compile(r"\b\d+(?:\.\d+)? s\b"), "<T> s"),
    (re.compile(r"\bon \d+ threads?\b"), "on <N> threads"),
    (re.compile(r"\b\d+(?:\.\d+)? (?:[KMGT]i?B) available\b"), "<M> available"),
    (re.compile(r"\blimit is \d+(?:\.\d+)? [KMGT]i?B\b"), "limit is <M>"),
]
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")


def mask(lines):
    """The lines with what varies between runs replaced by placeholders."""
    out, in_table = [], False
    for line in lines:
        m = line.rstrip()
        for pattern, repl in MASKS:
            m = pattern.sub(repl, m)
        if "fit ms (median)" in m:
            in_table = True
        elif in_table:
            if m and not m[0].isspace() and re.search(r"\s\d+\.\d+$", m):
                m = re.sub(r"\s+\d+\.\d+$", " <ms>", m)
            else:
                in_table = False
        out.append(m)
    return out


def shape(line):
    """A masked line with every number replaced: what an elision resumes at."""
    return NUMBER.sub("<n>", line)


class Block:
    def __init__(self, path, start, end, reason, lines):
        self.path, self.start, self.end = path, start, end  # content lines [start, end)
        self.reason, self.lines = reason, lines

    def commands(self):
        """[(command, [expected lines], line of the command, line of the
        first expected line)], line numbers 1-based."""
        out, i = [], 0
        while i < len(self.lines):
            line = self.lines[i]
            if not line.startswith("$ "):
                i += 1
                continue
            at = self.start + i + 1
            cmd = line[2:]
            while cmd.endswith("\\") and i + 1 < len(self.lines):
                i += 1
                cmd += "\n" + self.lines[i]  # bash reads backslash-newline as a space
            i += 1
            first = self.start + i + 1
            expected = []
            while i < len(self.lines) and not self.lines[i].startswith("$ "):
                expected.append(self.lines[i])
                i += 1
            out.append((cmd, expected, at, first))
        return out


def blocks(path, text):
    """The fenced blocks of a Markdown file, marked or holding commands with
    output; unmarked ones get reason None and lines []."""
    lines = text.split("\n")
    found, i = [], 0
    while i < len(lines):
        if not FENCE.match(lines[i]):
            i += 1
            continue
        fence = lines[i][:3]
        j = i + 1
        while j < len(lines) and not lines[j].startswith(fence):
            j += 1
        content = lines[i + 1:j]
        mark = MARK.match(lines[i - 1]) if i > 0 else None
        if mark:
            found.append(Block(path, i + 1, j, mark.group("reason") or "", content))
        else:
            has_cmd = any(l.startswith("$ ") for l in content)
            has_out = any(l and not l.startswith("$ ") for l in content)
            if has_cmd and has_out:
                found.append(Block(path, i + 1, j, None, content))
        i = j + 1
    return found


def run(cmd, cwd, prev_code):
    p = subprocess.run(["bash", "-c", f"(exit {prev_code}); {cmd}"], cwd=cwd,
                       capture_output=True, timeout=TIMEOUT)
    text = p.stdout.decode("utf-8", "replace") + p.stderr.decode("utf-8", "replace")
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return p.returncode, lines


def resume(line, actual, j):
    """Where the output resumes after an elision: the first later line equal
    to `line`, else (a number drifted) the first with the same first word
    and shape, else with the same shape, else the end."""
    def first(pred):
        return next((k for k in range(j, len(actual)) if pred(actual[k])), None)

    def word(x):
        return x.split()[0] if x.split() else ""

    for pred in (lambda x: x == line,
                 lambda x: word(x) == word(line) and shape(x) == shape(line),
                 lambda x: shape(x) == shape(line)):
        k = first(pred)
        if k is not None:
            return k
    return len(actual)


def align(expected, actual):
    """Compares expected (with "..." elisions) against actual output.
    Returns (mismatches [(expected index or None, message)], updated lines)."""
    em, am = mask(expected), mask(actual)
    problems, updated = [], []
    i = j = 0
    while i < len(expected):
        if expected[i].strip() == "...":
            updated.append(expected[i])
            i += 1
            if i == len(expected):
                j = len(actual)
                break
            j = resume(em[i], am, j)
            continue
        if j >= len(actual):
            problems.append((i, f"expected {expected[i]!r}, but the output has ended"))
            i += 1
            continue
        if em[i] != am[j]:
            problems.append((i, f"expected {expected[i]!r}\n      found {actual[j]!r}"))
        updated.append(actual[j])
        i += 1
        j += 1
    for extra in actual[j:]:
        problems.append((None, f"output has a further line {extra!r}"))
        updated.append(extra)
    return problems, updated


def scratch(root, evalsim):
    d = tempfile.mkdtemp(prefix="evalsim-docs-")
    os.makedirs(os.path.join(d, "build"))
    os.symlink(os.path.abspath(evalsim), os.path.join(d, "build", "evalsim"))
    for name in LINKED:
        if os.path.exists(os.path.join(root, name)):
            os.symlink(os.path.join(os.path.abspath(root), name), os.path.join(d, name))
    return d


def check_file(root, rel, evalsim, update, only=None):
    """Checks (or updates) one Markdown file. Returns (failures, checked,
    skipped, new text or None)."""
    path = os.path.join(root, rel)
    text = open(path, encoding="utf-8").read()
    lines = text.split("\n")
    failures, checked, skipped = [], 0, []
    work = scratch(root, evalsim)
    replacements = []  # (start, end, new lines)
    try:
        for b in blocks(rel, text):
            if only is not None and b.start not in only:
                continue
            if b.reason is None:
                failures.append(f"{rel}:{b.start}: a block of commands and output without a "
                                f"docs-test marker (<!-- docs-test --> or "
                                f"<!-- docs-test: skip: REASON -->)")
                continue
            if b.reason:
                skipped.append(f"{rel}:{b.start}: skipped: {b.reason}")
                continue
            checked += 1
            code, new_lines = 0, []
            for cmd, expected, at, first in b.commands():
                new_lines += ("$ " + cmd).split("\n")
                try:
                    code, actual = run(cmd, work, code)
                except subprocess.TimeoutExpired:
                    failures.append(f"{rel}:{at}: `{cmd}` took more than {TIMEOUT} s")
                    new_lines += expected
                    continue
                problems, updated = align(expected, actual)
                for i, msg in problems:
                    where = first + i if i is not None else at
                    failures.append(f"{rel}:{where}: {msg}")
                new_lines += updated
            replacements.append((b.start, b.end, new_lines))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    new_text = None
    if update:
        for start, end, new in sorted(replacements, reverse=True):
            lines[start:end] = new
        new_text = "\n".join(lines)
    return failures, checked, skipped, new_text


def self_test(root, evalsim):
    """The check fails when a documented number is edited by hand, names the
    line, and --update puts the real number back."""
    with tempfile.TemporaryDirectory() as d:
        for name in LINKED:
            if os.path.exists(os.path.join(root, name)):
                os.symlink(os.path.join(os.path.abspath(root), name), os.path.join(d, name))
        readme = open(os.path.join(root, "README.md"), encoding="utf-8").read()
        first = next(b for b in blocks("README.md", readme) if b.reason == "")
        lines = readme.split("\n")
        # The first output line of the first checked block with a decimal
        # number that is compared (not masked as a time): change the first
        # digit after its point.
        block = lines[first.start:first.end]

        def edited(i):
            m = re.search(r"\d\.(\d)", lines[i])
            if not m or lines[i].startswith("$ "):
                return None
            digit = "1" if m.group(1) != "1" else "2"
            new = lines[i][:m.start(1)] + digit + lines[i][m.end(1):]
            changed = block[:i - first.start] + [new] + block[i - first.start + 1:]
            return new if mask(changed) != mask(block) else None
        k = next(i for i in range(first.start, first.end) if edited(i))
        lines[k] = edited(k)
        with open(os.path.join(d, "README.md"), "w", encoding="utf-8") as f:
            f.write("\n".join(lines))
        failures, _, _, _ = check_file(d, "README.md", evalsim, False, only={first.start})
        assert any(x.startswith(f"README.md:{k + 1}:") for x in failures), \
            f"a hand-edited number on line {k + 1} was not caught: {failures}"
        _, _, _, fixed = check_file(d, "README.md", evalsim, True, only={first.start})
        fixed_block = fixed.split("\n")[first.start:first.end]
        assert mask(fixed_block) == mask(block), (fixed_block, block)
        with open(os.path.join(d, "README.md"), "w", encoding="utf-8") as f:
            f.write(fixed)
        failures, _, _, _ = check_file(d, "README.md", evalsim, False, only={first.start})
        assert not failures, failures
    print(f"self-test passed: an edit of README.md line {k + 1} was caught and --update "
          "restored it")
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--evalsim", required=True, help="the evalsim binary to run")
    ap.add_argument("--root", default=".", help="the repository (default: .)")
    ap.add_argument("--update", action="store_true", help="rewrite the blocks from real output")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("files", nargs="*", help="Markdown files, relative to --root")
    a = ap.parse_args()
    if a.self_test:
        return self_test(a.root, a.evalsim)
    all_failures, total = [], 0
    for rel in a.files:
        failures, checked, skipped, new_text = check_file(a.root, rel, a.evalsim, a.update)
        total += checked
        for s in skipped:
            print(s)
        if a.update and new_text is not None:
            with open(os.path.join(a.root, rel), "w", encoding="utf-8") as f:
                f.write(new_text)
        all_failures += failures
    for f in all_failures:
        print(f)
    verdict = "updated" if a.update else "match"
    if all_failures and not a.update:
        print(f"{len(all_failures)} difference(s) in {total} checked block(s)", file=sys.stderr)
        return 1
    print(f"{total} checked block(s) {verdict}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
