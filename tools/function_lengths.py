#!/usr/bin/env python3
"""Lists functions in C++ sources longer than a number of lines.

    tools/function_lengths.py [--max N] [--top K] PATH...

A function is a brace block opened at namespace or class level after a
closing parenthesis (with optional qualifiers); its length runs from the
first line of its signature to its closing brace. Exits 1 when any function
is longer than --max (default 150), so that the limit can be checked.
"""
import argparse
import os
import re
import sys

SIG_END = re.compile(r"\)\s*(const|override|final|noexcept|mutable|->\s*[\w:<>,\s*&]+|\s)*$")


def strip(text):
    """Blanks out comments, strings and character literals, keeping newlines."""
    out = []
    i, n = 0, len(text)
    while i < n:
        c = text[i]
        if text.startswith("//", i):
            j = text.find("\n", i)
            j = n if j < 0 else j
            out.append(" " * (j - i))
            i = j
        elif text.startswith("/*", i):
            j = text.find("*/", i + 2)
            j = n if j < 0 else j + 2
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif text.startswith('R"', i):
            m = re.match(r'R"([^(]*)\(', text[i:])
            end = ")" + m.group(1) + '"'
            j = text.find(end, i) + len(end)
            out.append(re.sub(r"[^\n]", " ", text[i:j]))
            i = j
        elif c in "\"'":
            j = i + 1
            while j < n and text[j] != c:
                j += 2 if text[j] == "\\" else 1
            out.append(" " * (j + 1 - i))
            i = j + 1
        else:
            out.append(c)
            i += 1
    return "".join(out)


def functions(path):
    text = strip(open(path, encoding="utf-8").read())
    stack = []  # (kind, start_line, name)
    line = 1
    last_stmt_start = 0
    for i, c in enumerate(text):
        if c == "\n":
            line += 1
        elif c == "{":
            head = text[last_stmt_start:i]
            in_function = any(k == "f" for k, _, _ in stack)
            if not in_function and SIG_END.search(head.rstrip()) and "=" not in head.split("(")[0]:
                m = re.search(r"([\w:~]+)\s*\(", head)
                name = m.group(1) if m else "?"
                first = line - head.rstrip().count("\n") - (len(head) - len(head.lstrip())) * 0
                sig_lines = head.strip().count("\n")
                stack.append(("f", line - sig_lines, name))
            else:
                stack.append(("b", line, ""))
            last_stmt_start = i + 1
        elif c == "}":
            if stack:
                kind, start, name = stack.pop()
                if kind == "f":
                    yield name, start, line - start + 1
            last_stmt_start = i + 1
        elif c == ";":
            last_stmt_start = i + 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--max", type=int, default=150)
    ap.add_argument("--top", type=int, default=10)
    ap.add_argument("paths", nargs="+")
    a = ap.parse_args()
    found = []
    for root in a.paths:
        files = [root] if os.path.isfile(root) else [
            os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs if f.endswith((".cc", ".h"))]
        for f in sorted(files):
            for name, start, n in functions(f):
                found.append((n, f"{f}:{start}", name))
    found.sort(reverse=True)
    for n, where, name in found[: a.top]:
        print(f"{n:5d}  {where}  {name}")
    over = [x for x in found if x[0] > a.max]
    if over:
        print(f"{len(over)} function(s) over {a.max} lines", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
