"""The WHERE condition of a query-language ``Query`` on an engine's view (shared by pages and
aggregations, so a page, a count and a pivot of one query select the same rows)."""

from __future__ import annotations

from forensics.outofcore.engine import OutOfCoreEngine, distinct_values, time_span
from forensics.outofcore.sql import Compiled, compile_tree
from forensics.query import Query, compile_query


def condition(engine: OutOfCoreEngine, query: Query | str | None, tz: str = "UTC") -> Compiled:
    """Compiled condition of ``query`` (text is parsed in display zone ``tz``)."""
    if query is None or query == "":
        return Compiled("TRUE")
    if isinstance(query, str):
        query = compile_query(query, tz)
    return compile_tree(query.tree, engine.columns, query.tz, query.case_sensitive, lambda: time_span(engine),
                        lambda column: distinct_values(engine, column))


def count(engine: OutOfCoreEngine, query: Query | str | None = None, tz: str = "UTC") -> int:
    """Rows matching ``query``."""
    where = condition(engine, query, tz)
    return int(engine.fetchall(f"SELECT count(*) FROM rows WHERE {where.sql}", where.params)[0][0])


def row_ids(engine: OutOfCoreEngine, query: Query | str | None = None, tz: str = "UTC") -> list[int]:
    """The stable ids (``_row``) of the matching rows, ascending (tests compare engines by them)."""
    where = condition(engine, query, tz)
    return [int(r[0]) for r in engine.fetchall(f"SELECT _row FROM rows WHERE {where.sql} ORDER BY _row", where.params)]
