-- Invoices due in the analysis period, plus every invoice whose due date is missing or
-- unreadable (so it can be reported; Carteiro leaves those out of the population).
-- Unreadable = not shaped like YYYY-MM-DD or an impossible month/day; only text columns
-- (SQLite) can hold those. A 29 February of a common year is caught only when it sorts
-- inside the period.
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
  data_pagamento     AS paid_on
FROM fatura
WHERE (data_vencimento >= :start AND data_vencimento < :end_exclusive)
   OR data_vencimento IS NULL
   OR CAST(data_vencimento AS CHAR(30)) NOT LIKE '____-__-__%'
   OR SUBSTR(CAST(data_vencimento AS CHAR(30)), 6, 2) NOT BETWEEN '01' AND '12'
   OR SUBSTR(CAST(data_vencimento AS CHAR(30)), 9, 2) NOT BETWEEN '01' AND '31'
   OR SUBSTR(CAST(data_vencimento AS CHAR(30)), 6, 5)
      IN ('02-30', '02-31', '04-31', '06-31', '09-31', '11-31')
