"""The open project as the GUI sees it: Session, and the undo commands it pushes."""

from remud_desktop.session.session import MIN_BOX_PT, Session

__all__ = ["MIN_BOX_PT", "Session"]
