"""Box geometry for mouse gestures, in PDF points and free of Qt: drawing, moving and
resizing, each kept inside the page with a minimum size while the pointer moves."""

from __future__ import annotations

from collections.abc import Iterable

from engine.geometry import Rect

# The 8 resize handles, clockwise from the top-left: which x edge (0 = x0, 1 = x1,
# None = neither) and which y edge each one drags.
HANDLES: tuple[tuple[int | None, int | None], ...] = (
    (0, 0), (None, 0), (1, 0), (1, None), (1, 1), (None, 1), (0, 1), (0, None),
)
TOP_LEFT, TOP, TOP_RIGHT, RIGHT, BOTTOM_RIGHT, BOTTOM, BOTTOM_LEFT, LEFT = range(8)


def handle_points(rect: Rect) -> list[tuple[float, float]]:
    """Where each handle sits on `rect`, in the order of HANDLES."""
    xs = {0: rect.x0, None: (rect.x0 + rect.x1) / 2, 1: rect.x1}
    ys = {0: rect.y0, None: (rect.y0 + rect.y1) / 2, 1: rect.y1}
    return [(xs[hx], ys[hy]) for hx, hy in HANDLES]


def clamp_point(x: float, y: float, bounds: Rect) -> tuple[float, float]:
    return min(max(x, bounds.x0), bounds.x1), min(max(y, bounds.y0), bounds.y1)


def drawn_rect(start: tuple[float, float], end: tuple[float, float], bounds: Rect) -> Rect:
    """The box between where a draw drag started and where the pointer is, on the page."""
    x0, y0 = clamp_point(*start, bounds)
    x1, y1 = clamp_point(*end, bounds)
    return Rect.normalized(x0, y0, x1, y1)


def big_enough(rect: Rect, min_size: float) -> bool:
    return rect.width >= min_size and rect.height >= min_size


def clamp_move(rects: Iterable[Rect], dx: float, dy: float, bounds: Rect) -> tuple[float, float]:
    """The largest part of (dx, dy) that keeps every rect (moving together) on the page."""
    rects = list(rects)
    if not rects:
        return 0.0, 0.0
    u = Rect.union_of(rects)
    dx = min(max(dx, bounds.x0 - u.x0), bounds.x1 - u.x1) if u.width <= bounds.width else bounds.x0 - u.x0
    dy = min(max(dy, bounds.y0 - u.y0), bounds.y1 - u.y1) if u.height <= bounds.height else bounds.y0 - u.y0
    return dx, dy


def resize(rect: Rect, handle: int, dx: float, dy: float, bounds: Rect, min_size: float) -> Rect:
    """`rect` with the edges under `handle` dragged by (dx, dy): the dragged edges stay on
    the page and at least `min_size` away from the opposite edges, which never move."""
    hx, hy = HANDLES[handle]
    x0, y0, x1, y1 = rect.as_tuple()
    if hx == 0:
        x0 = min(max(x0 + dx, bounds.x0), x1 - min_size)
    elif hx == 1:
        x1 = max(min(x1 + dx, bounds.x1), x0 + min_size)
    if hy == 0:
        y0 = min(max(y0 + dy, bounds.y0), y1 - min_size)
    elif hy == 1:
        y1 = max(min(y1 + dy, bounds.y1), y0 + min_size)
    return Rect(x0, y0, x1, y1)
