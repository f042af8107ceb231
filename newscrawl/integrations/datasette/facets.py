"""Facets of the articles table a reader scans by: the day in Beijing time, and the media by
the name a reader reads.

Datasette's own date facet takes `date(published_at)`, which SQLite turns into the UTC day:
an article of 07:30 Beijing time would count for the day before. The day facet groups by
the Beijing day whatever offset a time was stored with (archive/queries.py) —
newest first, and selects a day with `?_day=YYYY-MM-DD` (filtered in the plugin's
filters_from_request).
"""

from __future__ import annotations

from typing import Any

from datasette.database import QueryInterrupted
from datasette.facets import ColumnFacet, Facet
from datasette.utils import path_with_added_args, path_with_removed_args

from newscrawl.archive.queries import days
from newscrawl.integrations.datasette.pages import reader_table
from newscrawl.reading import media_name

DAY_ARG = "_day"


class DayFacet(Facet):  # type: ignore[misc]
    type = "day"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        results: list[dict[str, Any]] = []
        timed_out: list[str] = []
        if not reader_table(self.ds, self.database, self.table):
            return results, timed_out
        size = self.get_facet_size()
        selected = self.request.args.get(DAY_ARG)
        known = set(await self.get_columns(self.sql, self.params))
        for source_and_config in self.get_configs():
            config = source_and_config["config"]
            column = config.get("column") or config["simple"]
            if column not in known:  # a request's facet names a column of the table, or nothing
                continue
            try:
                sql = days(self.sql, column, size + 1)
                rows = await self.ds.execute(self.database, sql, self.params, truncate=False,  # SQL of archive/queries.py
                                             custom_time_limit=self.ds.setting("facet_time_limit_ms"))
            except QueryInterrupted:
                timed_out.append(column)
                continue
            values = []
            for row in rows.rows[:size]:
                chosen = row["value"] == selected
                path = (path_with_removed_args(self.request, {DAY_ARG: row["value"]}) if chosen
                        else path_with_added_args(self.request, {DAY_ARG: row["value"]}))
                values.append({"value": row["value"], "label": row["value"], "count": row["count"],
                               "toggle_url": self.ds.absolute_url(self.request, path), "selected": chosen})
            results.append({"name": column, "type": self.type, "results": values,
                            "hideable": source_and_config["source"] != "metadata",
                            "toggle_url": path_with_removed_args(self.request, {"_facet_day": column}),
                            "truncated": len(rows.rows) > size})
        return results, timed_out


class MediaFacet(ColumnFacet):  # type: ignore[misc]
    """The column facet, with each value's label as a reader reads the media's name (the
    generator's double spaces made one); selecting a value filters by the value as stored."""

    type = "media"

    async def suggest(self) -> list[dict[str, Any]]:
        return []

    async def facet_results(self) -> tuple[list[dict[str, Any]], list[str]]:
        if not reader_table(self.ds, self.database, self.table):
            return [], []
        known = set(await self.get_columns(self.sql, self.params))
        if any((c["config"].get("column") or c["config"].get("simple")) not in known for c in self.get_configs()):
            return [], []
        results, timed_out = await super().facet_results()
        for facet in results:
            facet["type"] = "column"  # shown as an ordinary column facet
            for value in facet["results"]:
                value["label"] = media_name(str(value["label"])) if value["label"] is not None else None
        return results, timed_out
