"""Door of /simulacao for the first visit after a server start (see pages/_first_visit.py)."""

from pages import _first_visit

_first_visit.door()
