-- MariaDB/MySQL's copy of invoices.sql (same columns, same rows). These servers read the whole
-- table rather than look up a month of invoices (a twelfth of them) through the index on
-- data_vencimento, row by row; asked for the ids first (the index alone holds them) and then
-- for those rows by primary key, they take the index. The IN changes nothing in the answer:
-- every row returned satisfies the period condition itself.
-- :start is the first day of the period; :end_exclusive the day after its last day.
SELECT
  f.id_fatura          AS invoice_id,
  f.id_cliente         AS customer_id,
  f.id_cliente_servico AS service_id,
  f.id_forma_cobranca  AS method_id,
  f.data_vencimento    AS due_date,
  f.valor              AS amount,
  f.status             AS status,
  f.data_pagamento     AS paid_on
FROM fatura f
WHERE ((f.data_vencimento >= :start AND f.data_vencimento < :end_exclusive)
       OR f.data_vencimento IS NULL)
  AND f.id_fatura IN (
    SELECT p.id_fatura
    FROM fatura p
    WHERE (p.data_vencimento >= :start AND p.data_vencimento < :end_exclusive)
       OR p.data_vencimento IS NULL)
