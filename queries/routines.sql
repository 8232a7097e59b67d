-- Scheduled routines (Configuração > Geral > Rotinas). The billing e-mail routine has the
-- kind 'envio_email_cobranca'.
SELECT
  id_rotina AS routine_id,
  tipo      AS kind,
  horario   AS time_of_day,
  ativo     AS active
FROM rotina
