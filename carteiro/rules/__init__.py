"""The rules of the support article: the reason catalogue, the nine conditions evaluated for
every invoice and customer in scope, and the audit of a period."""
