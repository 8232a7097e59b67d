-- MariaDB/MySQL's copy of unreadable_due_dates.sql (same columns, same answer): the distinct
-- due dates come from SELECT DISTINCT, which these servers answer by hopping through the index
-- on data_vencimento ("Using index for group-by"; one scan of the table without the index),
-- and STRAIGHT_JOIN makes the server look up the invoices of each unreadable due date through
-- that index (it would otherwise scan every invoice). A DATE column may hold zero dates
-- (0000-00-00, 2024-02-00) when the server's sql_mode allows them: they are unreadable too.
SELECT
  f.id_fatura          AS invoice_id,
  f.id_cliente         AS customer_id,
  f.id_cliente_servico AS service_id,
  f.id_forma_cobranca  AS method_id,
  f.data_vencimento    AS due_date,
  f.valor              AS amount,
  f.status             AS status,
  f.data_pagamento     AS paid_on
FROM (
  SELECT due
  FROM (SELECT DISTINCT data_vencimento AS due FROM fatura) AS due_dates
  WHERE due IS NOT NULL
    AND (due < :start OR due >= :end_exclusive)
    AND (CAST(due AS CHAR(30)) NOT LIKE '____-__-__%'
         OR SUBSTR(CAST(due AS CHAR(30)), 6, 2) NOT BETWEEN '01' AND '12'
         OR SUBSTR(CAST(due AS CHAR(30)), 9, 2) NOT BETWEEN '01' AND '31'
         OR SUBSTR(CAST(due AS CHAR(30)), 6, 5)
            IN ('02-30', '02-31', '04-31', '06-31', '09-31', '11-31'))
) AS unreadable
STRAIGHT_JOIN fatura AS f ON f.data_vencimento = unreadable.due
