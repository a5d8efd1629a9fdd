#!/usr/bin/env python3
"""Prints each statement of a .sql file on one line (comments dropped, split on ';' outside quotes)."""
import sys

text = open(sys.argv[1]).read()
statements, current, quote = [], [], None
i = 0
while i < len(text):
    c = text[i]
    if quote:
        current.append(c)
        if c == "\\" and i + 1 < len(text):
            current.append(text[i + 1]); i += 1
        elif c == quote:
            quote = None
    elif c in "'\"`":
        quote = c; current.append(c)
    elif c == "-" and text[i:i + 2] == "--":
        while i < len(text) and text[i] != "\n":
            i += 1
        continue
    elif c == ";":
        statements.append("".join(current)); current = []
    else:
        current.append(c)
    i += 1
statements.append("".join(current))
for s in statements:
    s = " ".join(s.split())
    if s:
        print(s)
