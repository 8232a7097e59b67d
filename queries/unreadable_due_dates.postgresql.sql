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
