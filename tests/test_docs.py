"""The README a user clones: every link and image points at a file inside the project, and the
Quick start keeps exactly its two commands."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_readme_links_stay_inside_the_project() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"\]\(([^)\s]+)\)", text)
    assert targets
    for target in targets:
        if target.startswith(("http://", "https://", "#")):
            continue
        path = (ROOT / target.split("#")[0]).resolve()
        assert path.is_relative_to(ROOT), f"README links outside the project: {target}"
        assert path.exists(), f"README links to a missing file: {target}"


def test_contracts_page_lists_the_public_shapes() -> None:
    text = (ROOT / "docs" / "contracts.md").read_text(encoding="utf-8")
    for heading in ("Console command", "Transcript", "Session", "Score card", "explain", "CSV export"):
        assert heading in text, heading
    from simulator.export import _BASE_COLUMNS, _TAIL_COLUMNS
    for column in _BASE_COLUMNS + _TAIL_COLUMNS:
        assert f"`{column}`" in text, f"CSV column {column} is not documented"


def test_quick_start_has_exactly_the_two_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    quick = text.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"```bash\n(.*?)\n```", quick, re.S) == ["bash scripts/run.sh", "bash scripts/test.sh"]
