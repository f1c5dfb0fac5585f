#!/usr/bin/env python3
"""Copies charts out of `cairn sim` reports into standalone SVG files, for the README.

    scripts/sim-charts.py REPORT.html OUT_DIR PREFIX [TITLE_SUBSTRING ...]

Each <figure> whose caption contains one of the substrings (all figures when none is given) is written to
OUT_DIR/PREFIX-<n>.svg, with its caption as the SVG's title."""

import html
import os
import re
import sys


def main():
    report, out, prefix, wanted = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]
    text = open(report, encoding="utf-8").read()
    os.makedirs(out, exist_ok=True)
    n = 0
    for caption, svg in re.findall(r"<figure><figcaption>(.*?)</figcaption>(<svg.*?</svg>)</figure>", text, re.S):
        if wanted and not any(w in html.unescape(caption) for w in wanted):
            continue
        n += 1
        titled = svg.replace(">", f"><title>{caption}</title>", 1)
        path = os.path.join(out, f"{prefix}-{n}.svg")
        with open(path, "w", encoding="utf-8") as f:
            f.write(titled + "\n")
        print(path, html.unescape(caption))


if __name__ == "__main__":
    main()
