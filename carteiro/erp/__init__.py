"""The ERP side: where the database is, read-only connections, ``queries/*.sql`` read into
frames, and the contract's value rules applied to them (the normalised tables and the data
problems found on the way)."""
