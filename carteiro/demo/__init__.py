"""The demo ERP database: the schema of ``erp-schema.md`` and a fast, deterministic
Hubsoft-like generator. Only the entry points (the CLI, ``app.py``) and the tests use it; the
audit never imports it."""

from carteiro.demo.generator import (
    DEFAULT_DEMO_CUSTOMERS,
    DEFAULT_DEMO_MONTHS,
    DemoSummary,
    generate,
)

__all__ = ["DEFAULT_DEMO_CUSTOMERS", "DEFAULT_DEMO_MONTHS", "DemoSummary", "generate"]
