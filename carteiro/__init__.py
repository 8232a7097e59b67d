"""Carteiro: why didn't the customer get the billing e-mail?

Reads an ISP ERP database (Hubsoft-like) and evaluates, for every invoice and every customer
in an analysis period, the nine documented conditions that decide whether the billing e-mail
routine sends a notice. See ``docs`` in the README and ``carteiro.engine``.
"""

__version__ = "0.1.0"
