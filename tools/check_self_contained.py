#!/usr/bin/env python3
"""Checks that the repository stands alone: no tracked file refers to a
document outside it.

Two kinds of reference are refused:
  - a path or name that points outside the repository: `../shared/...`, an
    absolute `/work/...` path, the names of the design notes kept beside the
    repository (DOMAIN.md, DESIGN.md, LAYOUT.md, STYLE.md) or a section of
    them ("DOMAIN §2", "DESIGN.md §7");
  - a relative link of a Markdown file ([text](path)) whose target is not a
    file or directory inside the repository.

Sourced facts belong in docs/sources.md, with each source's web address.

    tools/check_self_contained.py ROOT      # exit 1 and one line per finding
    tools/check_self_contained.py --self-test
"""
import os
import re
import subprocess
import sys
import tempfile

# Names of documents that live outside the repository.
OUTSIDE = re.compile(
    r"\.\./shared\b|(?<![\w.])/work/|\b(?:DOMAIN|DESIGN|LAYOUT|STYLE)(?:\.md)?\s*§|"
    r"\b(?:DOMAIN|DESIGN|LAYOUT|STYLE)\.md\b")
# A Markdown link or image target: ](target) or ](target "title").
LINK = re.compile(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SKIP_DIRS = {".git", "build", "node_modules"}
THIS = os.path.relpath(__file__)


def tracked_files(root):
    """The files git tracks under root, or every file when root is no
    checkout."""
    try:
        out = subprocess.run(["git", "-C", root, "ls-files", "-z"], check=True,
                             capture_output=True).stdout
        files = [f for f in out.decode("utf-8").split("\0") if f]
        if files:
            return files
    except (OSError, subprocess.CalledProcessError):
        pass
    files = []
    for d, dirs, names in os.walk(root):
        dirs[:] = [x for x in dirs if x not in SKIP_DIRS and not x.startswith("build")]
        files += [os.path.relpath(os.path.join(d, n), root) for n in names]
    return sorted(files)


def link_findings(root, rel, line_no, line):
    out = []
    for target in LINK.findall(line):
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith("#"):
            continue  # a web address, mailto: or an anchor on the same page
        path = target.split("#", 1)[0]
        if not path:
            continue
        full = os.path.normpath(os.path.join(root, os.path.dirname(rel), path))
        inside = os.path.commonpath([os.path.abspath(root), os.path.abspath(full)]) == \
            os.path.abspath(root)
        if not inside or not os.path.exists(full):
            out.append(f"{rel}:{line_no}: link to {target}, which is not a file of the repository")
    return out


def check(root):
    findings = []
    for rel in tracked_files(root):
        if os.path.normpath(rel) == os.path.normpath(os.path.relpath(THIS, root)) or \
                os.path.basename(rel) == "check_self_contained.py":
            continue  # this checker names the patterns it refuses
        path = os.path.join(root, rel)
        try:
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        if b"\0" in data:
            continue  # binary
        text = data.decode("utf-8", errors="replace")
        for n, line in enumerate(text.splitlines(), 1):
            m = OUTSIDE.search(line)
            if m:
                findings.append(f"{rel}:{n}: refers to a document outside the repository "
                                f"({m.group(0).strip()}); cite docs/sources.md instead")
            if rel.endswith(".md"):
                findings += link_findings(root, rel, n, line)
    return findings


def self_test():
    with tempfile.TemporaryDirectory() as d:
        os.makedirs(os.path.join(d, "docs"))
        with open(os.path.join(d, "docs", "sources.md"), "w") as f:
            f.write("# sources\n")
        with open(os.path.join(d, "ok.md"), "w") as f:
            f.write("See [sources](docs/sources.md) and https://example.org/a.\n")
        assert check(d) == [], check(d)
        cases = {
            "a.toml": "# Sourced (../shared/DOMAIN.md): §1\n",
            "b.md": "as DESIGN §7 says\n",
            "c.cc": "// see /work/shared/data/preflib\n",
            "d.md": "[the notes](../notes/DOMAIN.txt)\n",
            "e.md": "[missing](docs/nothing.md)\n",
        }
        for name, text in cases.items():
            with open(os.path.join(d, name), "w") as f:
                f.write(text)
        found = check(d)
        for name in cases:
            assert any(x.startswith(name + ":1:") for x in found), (name, found)
        assert not any(x.startswith("ok.md") for x in found), found
    print("self-test passed")
    return 0


def main(argv):
    if argv[1:] == ["--self-test"]:
        return self_test()
    if len(argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    findings = check(argv[1])
    for f in findings:
        print(f)
    if findings:
        print(f"{len(findings)} reference(s) to documents outside the repository", file=sys.stderr)
        return 1
    print("every reference stays inside the repository")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
