"""How the app looks: light and dark palettes."""

from remud_desktop.theme.palette import apply_theme, is_dark

__all__ = ["apply_theme", "is_dark"]
