"""Errors meant for users: their message is shown as one line, without a traceback."""


class MedauditError(Exception):
    """An error whose message (Chinese / English) is fit to show a user as is."""


class InputError(MedauditError):
    """Bad input that cannot be processed at all (as opposed to bad rows, which go to quarantine)."""


class RuleError(MedauditError):
    """A rule template or instance is invalid or cannot run faithfully on an engine."""
