"""Move the held-out answer key's offsets when the conversion of a page changes (h17c).

1. Before the change: ``python scripts/heldout_offsets.py dump OLD_DIR`` writes each held-out file's converted text
   (``bench.heldout_text``, what an import archives) to OLD_DIR.
2. After it: ``python scripts/heldout_offsets.py move OLD_DIR [--write]`` converts the files again and aligns each
   changed text with its old one, line by line (``difflib.SequenceMatcher`` over the lines without their list marker
   "- ", which a line may gain or lose). A quote moves with its line; every quote is checked verbatim at its old
   offset and at its new one, and the script stops on the first that is not. Without ``--write`` nothing is written.
No quote, claim, category or stance is changed. Run from the repository root with the project's virtualenv.
"""

from __future__ import annotations

import difflib
import json
import os
import sys
from pathlib import Path

MARK = "- "


def _texts() -> dict[str, str]:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kb.settings")
    import django

    django.setup()
    from importer.bench import HELDOUT_DIR, heldout_text

    files = sorted(p for p in HELDOUT_DIR.iterdir() if p.name[:2].isdigit() and p.suffix in (".txt", ".html"))
    return {p.name: heldout_text(p) for p in files}


def _lines(text: str) -> list[tuple[int, str]]:
    out, position = [], 0
    for line in text.split("\n"):
        out.append((position, line))
        position += len(line) + 1
    return out


def _body(line: str) -> str:
    return line[len(MARK) :] if line.startswith(MARK) else line


def moved_offsets(old: str, new: str, answers: list[dict]) -> list[int]:
    """The new offset of each answer's quote, checked verbatim in ``new``."""
    a, b = _lines(old), _lines(new)
    matcher = difflib.SequenceMatcher(None, [_body(x) for _, x in a], [_body(x) for _, x in b], autojunk=False)
    line_map = {m.a + k: m.b + k for m in matcher.get_matching_blocks() for k in range(m.size)}
    offsets = []
    for answer in answers:
        start, quote = answer["offset"], answer["quote"]
        if old[start : start + len(quote)] != quote:
            raise SystemExit(f"not at its old offset: {quote!r}")
        i = max(k for k, (s, _) in enumerate(a) if s <= start)
        if i not in line_map:
            raise SystemExit(f"its line is gone from the new text: {quote!r}")
        (old_start, old_line), (new_start, new_line) = a[i], b[line_map[i]]
        within = start - old_start - (len(MARK) if old_line.startswith(MARK) else 0)
        offset = new_start + within + (len(MARK) if new_line.startswith(MARK) else 0)
        if new[offset : offset + len(quote)] != quote:
            raise SystemExit(f"not verbatim at its new offset: {quote!r}")
        offsets.append(offset)
    return offsets


def main(argv: list[str]) -> None:
    if len(argv) < 2 or argv[0] not in ("dump", "move"):
        raise SystemExit(__doc__)
    directory = Path(argv[1])
    if argv[0] == "dump":
        directory.mkdir(parents=True, exist_ok=True)
        for name, text in _texts().items():
            (directory / f"{name}.txt").write_text(text, encoding="utf-8")
        return
    from importer.bench import HELDOUT_DIR

    key_path = HELDOUT_DIR / "answers.json"
    key = json.loads(key_path.read_text(encoding="utf-8"))
    texts = _texts()
    for article in key["articles"]:
        old, new = (directory / f"{article['file']}.txt").read_text(encoding="utf-8"), texts[article["file"]]
        if old == new:
            continue
        offsets = moved_offsets(old, new, article["assertions"])
        changed = sum(o != a["offset"] for o, a in zip(offsets, article["assertions"], strict=True))
        for offset, answer in zip(offsets, article["assertions"], strict=True):
            answer["offset"] = offset
        print(f"{article['file']}: {len(offsets)} quotes checked at their new offsets, {changed} moved")
    if "--write" in argv:
        key_path.write_text(json.dumps(key, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1:])
