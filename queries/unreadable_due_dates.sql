-- Invoices whose due date cannot be read (so they can be reported; Carteiro leaves them out of
-- the population) and that invoices.sql did not return already: not shaped like YYYY-MM-DD, or
-- an impossible month/day. Only a text column can hold such a value (SQLite always may;
-- MariaDB/MySQL also keep zero dates like 0000-00-00 in a DATE column): Carteiro skips this
-- query when PostgreSQL returns invoices.sql's due_date as a date or timestamp. A 29 February
-- of a common year is caught only when it sorts inside the period.
-- The same columns as invoices.sql. The due dates are walked through the index on
-- data_vencimento, one look-up per distinct due date (a few hundred), never row by row:
-- without that index each look-up reads the whole table, so create it (CREATE INDEX
-- ix_fatura_data_vencimento ON fatura (data_vencimento)).
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
  id_fatura          AS invoice_id,
  id_cliente         AS customer_id,
  id_cliente_servico AS service_id,
  id_forma_cobranca  AS method_id,
  data_vencimento    AS due_date,
  valor              AS amount,
  status             AS status,
  data_pagamento     AS paid_on
FROM fatura
WHERE data_vencimento IN (SELECT due FROM unreadable)
