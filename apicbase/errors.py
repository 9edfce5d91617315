"""Exceptions raised by the pure core.

Messages are meant for people (logs, the inbox, HTTP answers): they name the
offending field and never contain a secret.
"""


class ApicbaseError(Exception):
    """Base class of every error raised by the pure core."""


class PayloadError(ApicbaseError):
    """A payload does not have the shape Apicbase documents.

    ``problems`` lists one ``(path, message)`` pair per defect so that a caller
    learns every defect of a payload at once, not one per attempt.
    """

    def __init__(self, problems):
        self.problems = list(problems)
        super().__init__("; ".join(f"{path}: {message}" for path, message in self.problems))

    def as_list(self):
        return [{"field": path, "error": message} for path, message in self.problems]


class ContentError(PayloadError):
    """A package content is not valid for Apicbase."""
