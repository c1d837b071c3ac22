"""Exceptions raised by the search library."""


class IndexerError(Exception):
    """Base class for errors in the search library."""


class IndexMismatchError(IndexerError):
    """The index on disk was built with a different model or layout than configured."""


class IndexFileError(IndexerError):
    """The index files are missing, unreadable or inconsistent with their manifest."""
