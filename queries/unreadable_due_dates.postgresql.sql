-- PostgreSQL's copy of unreadable_due_dates.sql (same columns, same answer): the walk over the
-- distinct due dates is the same; the invoices of the unreadable ones are then looked up one
-- value at a time through the index (LATERAL … OFFSET 0), which PostgreSQL would otherwise
-- replace by a scan of the whole table. Carteiro runs it only when invoices.sql returns
-- due_date as text (a TEXT/VARCHAR column); a DATE or TIMESTAMP column holds no unreadable date.
-- Without an index on data_vencimento each step reads the whole table: create it
-- (CREATE INDEX ix_fatura_data_vencimento ON fatura (data_vencimento)).
WITH RECURSIVE due_dates (due) AS (
  SELECT MIN(data_vencimento) FROM fatura
  UNION ALL
  SELECT (SELECT MIN(f.data_vencimento) FROM fatura f WHERE f.data_vencimento > due_dates.due)
  FROM due_dates
  WHERE due_dates.due IS NOT NULL
),
unreadable (due) AS (
  SELECT due
  FROM due_dates
  WHERE due IS NOT NULL
    AND (due < :start OR due >= :end_exclusive)
    AND (CAST(due AS CHAR(30)) NOT LIKE '____-__-__%'
         OR SUBSTR(CAST(due AS CHAR(30)), 6, 2) NOT BETWEEN '01' AND '12'
         OR SUBSTR(CAST(due AS CHAR(30)), 9, 2) NOT BETWEEN '01' AND '31'
         OR SUBSTR(CAST(due AS CHAR(30)), 6, 5)
            IN ('02-30', '02-31', '04-31', '06-31', '09-31', '11-31'))
)
SELECT
  f.id_fatura          AS invoice_id,
  f.id_cliente         AS customer_id,
  f.id_cliente_servico AS service_id,
  f.id_forma_cobranca  AS method_id,
  f.data_vencimento    AS due_date,
  f.valor              AS amount,
  f.status             AS status,
  f.data_pagamento     AS paid_on
FROM unreadable
CROSS JOIN LATERAL (
  SELECT * FROM fatura WHERE fatura.data_vencimento = unreadable.due OFFSET 0
) AS f
