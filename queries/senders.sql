-- E-mail senders (Configuração > Geral > Remetente de Email). The password is never read.
SELECT
  id_remetente_email AS sender_id,
  descricao          AS description,
  host               AS host,
  porta              AS port,
  seguranca          AS security,
  usuario            AS username,
  email_origem       AS from_address,
  intervalo_segundos AS interval_seconds,
  padrao             AS is_default,
  ativo              AS active
FROM remetente_email
