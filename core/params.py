"""Query parameters read safely: a crafted address (?page=99999999999999999999, ?topic=-1) gets an
ordinary page, never a number the database cannot hold."""
from flask import request

MAX_PAGE = 1_000_000  # further than any list goes; its offset still fits the database's integers
MAX_ID = 2**31 - 1  # the largest PostgreSQL integer key


def requested_page() -> int:
    """?page= of a paginated list, from 1 to MAX_PAGE whatever was sent."""
    return min(max(request.args.get("page", 1, type=int), 1), MAX_PAGE)


def requested_id(name: str) -> int | None:
    """A row id from the query string, or None when absent or not one any table can hold."""
    value = request.args.get(name, type=int)
    return value if value is not None and 0 < value <= MAX_ID else None
