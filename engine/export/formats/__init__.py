"""Writers, one per output format; each writes its files for all three splits incrementally."""
