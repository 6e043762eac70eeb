"""ReMUD Desktop: the PySide6 GUI. Thin: widgets, views and workers over the engine."""
