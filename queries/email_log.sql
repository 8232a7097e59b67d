-- Sent e-mail log of one customer (one row per send attempt); accepted = the SMTP server
-- accepted the message. Read for the one-customer diagnosis only.
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
ORDER BY data_envio DESC
