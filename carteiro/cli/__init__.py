"""``python -m carteiro`` / ``carteiro``: the command line."""
