"""Typed errors a user can cause. Each carries one sentence a person understands."""

from __future__ import annotations


class RemudError(Exception):
    """Base class: str(error) is a sentence fit to show to the user."""


class ProjectError(RemudError):
    pass


class ProjectNotFoundError(ProjectError):
    pass


class ProjectTooNewError(ProjectError):
    pass


class ProjectExistsError(ProjectError):
    pass


class NotFoundError(RemudError):
    """A document, page or figure id that is not in the project."""


class PdfError(RemudError):
    pass


class NotAPdfError(PdfError):
    pass


class CorruptPdfError(PdfError):
    pass


class PasswordRequiredError(PdfError):
    pass


class WrongPasswordError(PdfError):
    pass


class EmptyPdfError(PdfError):
    pass


class DetectorError(RemudError):
    pass


class UnknownDetectorError(DetectorError):
    pass


class EndpointError(DetectorError):
    """A remote model endpoint failed (down, wrong key, bad answer)."""


class OcrError(RemudError):
    pass


class CancelledError(RemudError):
    def __init__(self, message: str | None = None) -> None:
        if message is None:
            from engine.i18n import tr  # engine.i18n imports this module

            message = tr("Cancelled.")
        super().__init__(message)


class StoreError(ProjectError):
    """The project database could not be read or written (busy, full disk, read-only, damaged)."""


class ProjectBusyError(StoreError):
    pass


class DiskFullError(StoreError):
    pass


class ReadOnlyProjectError(StoreError):
    pass


class DamagedProjectError(StoreError):
    pass
