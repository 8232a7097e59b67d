-- The send log of the invoices due in the analysis period (audit --level delivery, check):
-- the rows of email_enviado whose invoice is due in the period, found through the due-date
-- index of fatura and the invoice index of email_enviado, never the whole log. Every type of
-- document comes back: Carteiro keeps the rows whose tipo_documento is 'fatura' (normalised)
-- and reports null or unreadable values. IN rather than JOIN, so an invoice id repeated in
-- fatura brings its log rows once.
-- :start is the first day of the period; :end_exclusive the day after its last day (the same
-- filter as invoices.sql, so a due date stored as a datetime late on the last day is kept).
SELECT
  e.id_email_enviado AS log_id,
  e.id_cliente       AS customer_id,
  e.id_fatura        AS invoice_id,
  e.email_destino    AS address,
  e.tipo_documento   AS document_type,
  e.data_envio       AS sent_at,
  e.enviado          AS accepted,
  e.mensagem_erro    AS error_message
FROM email_enviado e
WHERE e.id_fatura IN (
  SELECT f.id_fatura
  FROM fatura f
  WHERE f.data_vencimento >= :start AND f.data_vencimento < :end_exclusive
)
