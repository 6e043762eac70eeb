"""PDF import, opening and rendering (PyMuPDF)."""
