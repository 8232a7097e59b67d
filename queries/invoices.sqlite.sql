-- SQLite's copy of invoices.sql: the same rows and columns, plus each row's rowid
-- (row_order). With the index on data_vencimento SQLite returns the rows in due-date order;
-- Carteiro puts them back in the table's own order (rowid) when an invoice id is repeated, so
-- "the first row with that id" is the first in the table, as the contract says. A table
-- created WITHOUT ROWID has no rowid: delete this file (and unreadable_due_dates.sqlite.sql)
-- and the portable queries are used, in the order SQLite returns them.
-- Invoices due in the analysis period, plus every invoice whose due date is missing, so it can
-- be reported (Carteiro leaves those out of the population). Both conditions are ranges of the
-- index on data_vencimento, so only the period's rows are read.
-- Due dates that cannot be read (text such as '31/03/2024' or 'lixo') are looked up by
-- unreadable_due_dates.sql, through the same index.
-- :start is the first day of the period; :end_exclusive the day after its last day, so a
-- due date stored as a datetime late on the last day is kept. (:end, the last day itself,
-- is bound too, for queries that prefer it.)
SELECT
  id_fatura          AS invoice_id,
  id_cliente         AS customer_id,
  id_cliente_servico AS service_id,
  id_forma_cobranca  AS method_id,
  data_vencimento    AS due_date,
  valor              AS amount,
  status             AS status,
  data_pagamento     AS paid_on,
  rowid              AS row_order
FROM fatura
WHERE (data_vencimento >= :start AND data_vencimento < :end_exclusive)
   OR data_vencimento IS NULL
