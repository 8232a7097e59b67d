-- «Status do Serviço para Envio» of each billing method. No row for a method = the default
-- selection (every status but cancelado and inativo).
SELECT
  id_forma_cobranca AS method_id,
  id_servico_status AS status_id
FROM forma_cobranca_status_envio
