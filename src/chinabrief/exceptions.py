"""A named exception per kind of failure (as papermill's ``exceptions.py``)."""


class ChinaBriefError(Exception):
    """Base class of every error the pipeline raises on purpose."""


class ParameterError(ChinaBriefError):
    """An unknown parameter, a wrong type or an out-of-range value."""


class SnapshotMissingError(ChinaBriefError):
    """The data snapshot folder is not where ``SNAPSHOT`` points."""


class ChecksumError(ChinaBriefError):
    """A snapshot file does not match its line in ``SHA256SUMS``."""


class InputFormatError(ChinaBriefError):
    """An input file is truncated, lacks a column, or holds a value that breaks a rule.

    The message names the file, the column, the row(s) and the rule.
    """


class MissingInputError(ChinaBriefError):
    """A stage's input is not there yet: an earlier stage has not run (the message says which)."""


class SourceError(ChinaBriefError):
    """A live data source answered with an error, or not at all."""


class StageFailedError(ChinaBriefError):
    """A notebook stage failed; the message names the notebook, the cell and the error."""


class BuildLockedError(ChinaBriefError):
    """Another build holds the checkout's build lock; the message names it."""


class PublishError(ChinaBriefError):
    """A stage's products could not be published as one set; the previous set is kept."""


class OutputError(ChinaBriefError):
    """An output could not be written: a read-only folder, a full disk, a missing permission.

    The message names the file being written (or the folder) and the cause.
    """
