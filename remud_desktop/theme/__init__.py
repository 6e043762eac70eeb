"""How the app looks: light and dark palettes, the CJK font fallback, the app icon."""

from remud_desktop.theme.fonts import install_cjk_fallback
from remud_desktop.theme.icons import app_icon
from remud_desktop.theme.palette import ERROR_STYLE, apply_theme, is_dark

__all__ = ["ERROR_STYLE", "app_icon", "apply_theme", "install_cjk_fallback", "is_dark"]
