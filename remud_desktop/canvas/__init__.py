"""The editable page canvas: the rendered page, its figure boxes, and the render cache."""

from remud_desktop.canvas.box_item import BoxItem
from remud_desktop.canvas.page_canvas import PageCanvas
from remud_desktop.canvas.render_cache import CacheStats, RenderCache
from remud_desktop.canvas.renderer import PageRenderer, RenderTag
from remud_desktop.qimages import raster_to_qimage

__all__ = ["BoxItem", "CacheStats", "PageCanvas", "PageRenderer", "RenderCache", "RenderTag", "raster_to_qimage"]
