"""Walking Tripletex list endpoints page by page (`from`/`count`, stopping on `fullResultSize`)."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

# Called after each page with (values fetched so far, total Tripletex reported or None), so a wizard can
# draw a progress bar while a long list loads.
Progress = Callable[[int, int | None], None]

DEFAULT_PAGE_SIZE = 1000


def iter_values(
    fetch_page: Callable[[int, int], Mapping[str, Any]],
    *,
    page_size: int = DEFAULT_PAGE_SIZE,
    progress: Progress | None = None,
    limit: int | None = None,
) -> Iterator[dict]:
    """Yield every value of a list endpoint; `fetch_page(from, count)` returns one `ListResponse` body.

    Stops when `from + count` reaches `fullResultSize`, or on a short page, because Tripletex documents
    `fullResultSize` as "not exact" and a short page is the one signal that cannot be wrong.
    """
    if page_size <= 0:
        raise ValueError("page_size must be positive")
    offset = 0
    fetched = 0
    while True:
        count = page_size if limit is None else min(page_size, limit - fetched)
        if count <= 0:
            return
        page = fetch_page(offset, count)
        values = list(page.get("values") or ())
        total = page.get("fullResultSize")
        total = total if isinstance(total, int) else None
        fetched += len(values)
        offset += len(values)
        if progress is not None:
            progress(fetched, total)
        yield from values
        if len(values) < count:
            return
        if total is not None and offset >= total:
            return
