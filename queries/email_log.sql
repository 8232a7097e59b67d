-- Sent e-mail log of one customer (one row per send attempt); accepted = the SMTP server
-- accepted the message. Read for the one-customer diagnosis only. Newest first; a row without
-- a send time last, and ties by id, on every database (PostgreSQL would put NULLs first).
SELECT
  id_email_enviado AS log_id,
  id_cliente       AS customer_id,
  id_fatura        AS invoice_id,
  email_destino    AS address,
  tipo_documento   AS document_type,
  data_envio       AS sent_at,
  enviado          AS accepted,
  mensagem_erro    AS error_message
FROM email_enviado
WHERE id_cliente = :customer_id
ORDER BY CASE WHEN data_envio IS NULL THEN 1 ELSE 0 END, data_envio DESC, id_email_enviado DESC
