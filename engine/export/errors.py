"""Errors a user can cause while exporting a dataset."""

from __future__ import annotations

from engine.errors import RemudError


class ExportError(RemudError):
    """The export cannot be made as asked (bad settings, unwritable folder)."""


class NothingToExportError(ExportError):
    """The selection matches no record."""


class ExportExistsError(ExportError):
    """The output folder exists and overwriting was not asked for."""


class DecontaminationFileError(ExportError):
    """The test file given for decontamination cannot be read or holds no text."""
