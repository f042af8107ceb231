"""The house rules the tree keeps: SQL only in the archive package, few top-level modules,
test helpers in one place."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "newscrawl"
# What SQL looks like in Python source: statements, pragmas, and calls that run them.
SQL = re.compile(r"""(?ix)
    \b(select\s+[\w*.,\s()]+\s+from\s|insert\s+(or\s+\w+\s+)?into\s|update\s+\S+\s+set\s|delete\s+from\s
      |create\s+(virtual\s+)?(table|index|trigger)\s|drop\s+(table|index|trigger)\s|pragma\s+\w+)
    | \.execute(many)?\( | \.query\(""")
# The mirror serves pages (no archive); the demo prints an example query for the user to run.
# Redis pipelines are sent by `.execute()` too, in one helper; Datasette's facet runs the
# archive package's SQL through Datasette.
ALLOWED = {PACKAGE / "mirror" / "demo.py": {"EXAMPLE_QUERY"},
           PACKAGE / "distributed" / "__init__.py": {"# Redis pipeline, not SQL"},
           PACKAGE / "integrations" / "datasette" / "facets.py": {"# SQL of archive/queries.py"}}


def _sql_lines(path: Path) -> list[str]:
    allowed = ALLOWED.get(path, set())
    return [f"{path.relative_to(ROOT)}:{n}: {line.strip()}"
            for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
            if SQL.search(line) and not any(name in line for name in allowed)]


def test_no_sql_outside_the_archive_package() -> None:
    found = [line for path in sorted(PACKAGE.rglob("*.py"))
             if not path.is_relative_to(PACKAGE / "archive") and not path.is_relative_to(PACKAGE / "mirror")
             or path in ALLOWED
             for line in _sql_lines(path)]
    assert found == []


def test_the_sql_pattern_finds_sql() -> None:
    lines = ['rows = conn.execute("select id from articles where x = ?")', "db.query(EXAMPLE)",
             'f"insert or replace into {CAPTURES} (url) values (?)"', '"update runs set outcome = ?"',
             '"pragma user_version"', '"delete from clusters where size <= 0"']
    assert all(SQL.search(line) for line in lines)
    assert not SQL.search("the selected rows, from the archive; update the item")


def test_at_most_six_modules_at_the_top_of_the_package() -> None:
    assert len(list(PACKAGE.glob("*.py"))) <= 6


def test_test_modules_share_helpers_through_conftest_only() -> None:
    imports = [f"{path.name}: {line}" for path in sorted((ROOT / "tests").glob("test_*.py"))
               for line in path.read_text(encoding="utf-8").splitlines() if re.match(r"from tests\.test_\w+ import", line)]
    assert imports == []
