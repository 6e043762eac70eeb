"""Stand-alone GPU training and conversion scripts.

They read what `remud export` writes and import nothing from the engine or the GUI, so
they can be copied to a GPU machine on their own.
"""
