"""The order pages are read in, and how far a reading run is.

Reading a scanned book's text is slow (seconds a page on a laptop), so the pages the person
looks at go first: the page they are on and the next one, following them as they move; the
rest in reading order.
"""

from __future__ import annotations

import bisect
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from engine.i18n import tr


class PageQueue:
    """Pages left to read. `focus()` says which page the person is on (None: nobody is looking)."""

    def __init__(self, pages: Iterable[int], focus: Callable[[], int | None] | None = None) -> None:
        self._left = sorted(set(pages))
        self._focus = focus or (lambda: None)

    def __len__(self) -> int:
        return len(self._left)

    def pop(self) -> int | None:
        """The next page to read: the focused page or the one after it while either is left,
        else the first page left in reading order; None when all are read."""
        if not self._left:
            return None
        focus = self._focus()
        if focus is not None:
            for page in (focus, focus + 1):
                i = bisect.bisect_left(self._left, page)
                if i < len(self._left) and self._left[i] == page:
                    return self._left.pop(i)
        return self._left.pop(0)


@dataclass(frozen=True)
class ReadProgress:
    """How far a run that reads page text is: `done` of `total` pages, the last page read, and an
    estimate of the time left (None until a page was read)."""

    done: int
    total: int
    page: int | None = None
    seconds_left: float | None = None
    closing: bool = False  # the pages are read; the whole document is gone through once more

    def sentence(self) -> str:
        """'Reading text 37/600 · about 9 min left'; 'Reading captions and context…' at the close."""
        if self.closing:
            return tr("Reading captions and context…")
        if self.seconds_left is not None and self.done < self.total:
            # Translators: {left} is a time left ("about 9 min left")
            return tr("Reading text {done}/{total} · {left}").format(done=self.done, total=self.total,
                                                                      left=about(self.seconds_left))
        return tr("Reading text {done}/{total}").format(done=self.done, total=self.total)


def about(seconds: float) -> str:
    """A rough time left, as a person says it."""
    if seconds < 60:
        return tr("less than a minute left")
    minutes = round(seconds / 60)
    if minutes < 90:
        return tr("about {minutes} min left").format(minutes=minutes)
    return tr("about {hours} h left").format(hours=f"{seconds / 3600:.1f}")


class Stopwatch:
    """Time per page read so far, for the estimate of what is left (a page read from the cache is not timed)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._spent = 0.0
        self._timed = 0

    def time(self, fn: Callable[[], object]) -> None:
        start = self._clock()
        fn()
        self._spent += self._clock() - start
        self._timed += 1

    def left(self, pages: int) -> float | None:
        return None if not self._timed else pages * self._spent / self._timed
