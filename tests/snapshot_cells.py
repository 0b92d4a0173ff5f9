"""Which snapshots changed as a terminal would show them: cell by cell (character, colours, bold), not as SVG text.

A snapshot's SVG also records how Textual cut each line into segments, which changes with how a widget draws
without changing a single cell. After a failing snapshot run:

    .venv/bin/python tests/snapshot_cells.py --report snapshot_report.html [N]    each failure: same cells or not
    .venv/bin/python tests/snapshot_cells.py OLD.svg NEW.svg                      two screenshots

Regenerate (``--snapshot-update``) only snapshots that differ as intended, or that show the same cells.
"""
import html
import re
import sys

RECT = (r'<rect fill="(#[0-9a-fA-F]+)" x="([\d.]+)" y="([\d.]+)" width="([\d.]+)" height="[\d.]+" '
        r'shape-rendering')
TEXT = (r'<text class="T-(r\d+)" x="([\d.]+)" y="[\d.]+" textLength="([\d.]+)" '
        r'clip-path="url\(#T-line-(\d+)\)">(.*?)</text>')

def grid(svg):
    svg = re.sub(r"terminal-\d+", "T", svg)
    css = {}
    for name, body in re.findall(r"\.T-(r\d+) \{ ([^}]*) \}", svg):
        css[name] = tuple(sorted(p.strip() for p in body.split(";") if p.strip()))
    cells = {}
    for fill, x, y, w in re.findall(RECT, svg):
        row = round((float(y) - 1.5) / 24.4); c0 = round(float(x) / 12.2)
        for c in range(c0, c0 + round(float(w) / 12.2)):
            cells.setdefault((row, c), {})["bg"] = fill
    for cls, x, text_len, line, text in re.findall(TEXT, svg):
        t = html.unescape(text).replace("\xa0", " ")
        c0 = round(float(x) / 12.2); row = int(line)
        for i, ch in enumerate(t):
            d = cells.setdefault((row, c0 + i), {})
            d["ch"] = ch; d["fg"] = css.get(cls)
    return cells

def compare(a, b):
    ga, gb = grid(a), grid(b)
    diffs = []
    for key in sorted(set(ga) | set(gb)):
        x, y = ga.get(key, {}), gb.get(key, {})
        def norm(d):
            ch = d.get("ch", " ")
            fg = d.get("fg") if ch != " " else None  # a space's colour does not show
            return (ch, fg, d.get("bg"))
        if norm(x) != norm(y):
            diffs.append((key, norm(x), norm(y)))
    return diffs

if __name__ == "__main__":
    if sys.argv[1] == "--report":
        s = open(sys.argv[2]).read()
        cards = [c for c in re.split(r'<div class="card', s) if "<svg" in c]
        for c in cards:
            name = re.search(r'(test_[a-z0-9_]+(\[[a-z-]*\])?)', c).group(1)
            svgs = re.findall(r"<svg.*?</svg>", c, re.S)
            d = compare(svgs[0], svgs[2])
            print(("SAME CELLS  " if not d else f"DIFFERENT {len(d):4d} ") + name)
            for k, x, y in d[: int(sys.argv[3]) if len(sys.argv) > 3 else 0]:
                print("   ", k, "actual", x, "expected", y)
    else:
        d = compare(open(sys.argv[1]).read(), open(sys.argv[2]).read())
        print(len(d)); [print(x) for x in d[:20]]
