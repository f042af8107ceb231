"""The README's promises: its schema documents every field, its two commands exist, and the
demo (the main job) archives every valid article and counts every planted bad page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from newscrawl.items import Article
from newscrawl.mirror import demo

ROOT = Path(__file__).resolve().parents[1]


def test_readme_schema_documents_every_article_field() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    schema = readme.split("## Output schema", 1)[1].split("\n## ", 1)[0]
    documented = re.findall(r"^\| `(\w+)` \|", schema, flags=re.M)
    assert documented == Article.field_names()


def test_quickstart_commands_exist_and_ci_runs_the_test_command() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    commands = re.findall(r"^make (\w+)", quickstart, flags=re.M)
    assert commands == ["demo", "test"]
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    assert all(re.search(rf"^{c}:", makefile, flags=re.M) for c in commands)
    assert "make test" in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_demo_archives_every_valid_article_and_reports_planted_drops(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert demo.main(["--articles", "40", "--seed", "2", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    assert "articles: 40 new, 0 revised; 40 in the archive" in out and "same_content 1" in out
    assert "page_no_layout: 2" in out
    assert "missing_title: 1" in out and "missing_date: 1" in out
    assert str(tmp_path / "newscrawl.db") in out and (tmp_path / "articles.jsonl").is_file()
