-- SQLite's copy of unreadable_due_dates.sql with each row's rowid (row_order), like
-- invoices.sqlite.sql: a row read here (its due date needed trimming, say) takes its place in
-- the table's order among the period's rows.
-- Invoices whose due date cannot be read (so they can be reported; Carteiro leaves them out of
-- the population) and that invoices.sql did not return already: every due date outside the
-- period that is not a plain calendar day YYYY-MM-DD (a day with a time after it is returned
-- too, and Carteiro reads it: readable, and outside the period). Only a text column can hold
-- such a value (SQLite always may; MariaDB/MySQL also keep zero dates like 0000-00-00 in a
-- DATE column): Carteiro skips this query when PostgreSQL returns invoices.sql's due_date as
-- a date or timestamp.
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
  FROM (SELECT due, CAST(due AS CHAR(30)) AS d FROM due_dates) AS texts
  WHERE due IS NOT NULL
    AND (due < :start OR due >= :end_exclusive)
    -- not a plain calendar day YYYY-MM-DD: other lengths, non-digits, year 0000, impossible
    -- months and days, 29 February of a common year
    AND (LENGTH(d) <> 10 OR SUBSTR(d, 5, 1) <> '-' OR SUBSTR(d, 8, 1) <> '-'
         OR SUBSTR(d, 1, 1) NOT BETWEEN '0' AND '9' OR SUBSTR(d, 2, 1) NOT BETWEEN '0' AND '9'
         OR SUBSTR(d, 3, 1) NOT BETWEEN '0' AND '9' OR SUBSTR(d, 4, 1) NOT BETWEEN '0' AND '9'
         OR SUBSTR(d, 6, 1) NOT BETWEEN '0' AND '9' OR SUBSTR(d, 7, 1) NOT BETWEEN '0' AND '9'
         OR SUBSTR(d, 9, 1) NOT BETWEEN '0' AND '9' OR SUBSTR(d, 10, 1) NOT BETWEEN '0' AND '9'
         OR SUBSTR(d, 1, 4) = '0000'
         OR SUBSTR(d, 6, 2) NOT BETWEEN '01' AND '12'
         OR SUBSTR(d, 9, 2) NOT BETWEEN '01' AND '31'
         OR SUBSTR(d, 6, 5) IN ('02-30', '02-31', '04-31', '06-31', '09-31', '11-31')
         OR (SUBSTR(d, 6, 5) = '02-29'
             AND SUBSTR(d, 3, 2) NOT IN ('04', '08', '12', '16', '20', '24', '28', '32', '36', '40',
                                  '44', '48', '52', '56', '60', '64', '68', '72', '76', '80',
                                  '84', '88', '92', '96')
             AND NOT (SUBSTR(d, 3, 2) = '00'
                      AND SUBSTR(d, 1, 2) IN ('00', '04', '08', '12', '16', '20', '24', '28',
                                          '32', '36', '40', '44', '48', '52', '56', '60',
                                          '64', '68', '72', '76', '80', '84', '88', '92',
                                          '96'))))
)
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
WHERE data_vencimento IN (SELECT due FROM unreadable)
