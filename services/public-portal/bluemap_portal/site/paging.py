"""Numbered pages of a listing: which rows a page shows and which page links to offer."""

from dataclasses import dataclass

MAX_PAGE = 10_000


@dataclass(frozen=True)
class Paging:
    """Page page (from 1) of total rows, page_size rows a page; more: there are rows beyond total."""

    page: int
    page_size: int
    total: int
    more: bool = False

    @classmethod
    def counted_to(cls, page: int, page_size: int, counted: int, *, limit: int) -> "Paging":
        """Paging from a count that stopped at limit + 1 (see count_limit)."""
        return cls(page, page_size, min(counted, limit), more=counted > limit)

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.page_size


def page_window(page: int, pages: int, *, radius: int = 2) -> list[int | None]:
    """The page numbers to link: the first, the last and those near page; None marks a gap."""
    shown = sorted({1, pages, *range(max(1, page - radius), min(pages, page + radius) + 1)})
    window: list[int | None] = []
    for number in shown:
        if window and number - (window[-1] or 0) > 1:
            window.append(None)
        window.append(number)
    return window


def count_limit(page: int, page_size: int, *, at_least: int, radius: int = 2) -> int:
    """How many matches a page needs counted: those of the pages it links to, at least at_least, whole pages.

    Counting every match of a common word costs more than showing a page of them; count one more than
    this and the listing knows whether there are further pages.
    """
    return max(-(-at_least // page_size), page + radius) * page_size
