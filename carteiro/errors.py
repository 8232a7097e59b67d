"""Errors Carteiro reports to people: one pt-BR line saying what and where, no traceback."""


class CarteiroError(Exception):
    """A problem the user can act on; ``str(err)`` is the one-line pt-BR message."""


class DataSourceError(CarteiroError):
    """The ERP database could not be reached or read."""
