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
  data_pagamento     AS paid_on
FROM fatura
WHERE (data_vencimento >= :start AND data_vencimento < :end_exclusive)
   OR data_vencimento IS NULL
