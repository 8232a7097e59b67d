-- Service statuses (Configuração > Geral > Status do Serviço); compared by normalised prefix.
SELECT
  id_servico_status AS status_id,
  descricao         AS description,
  prefixo           AS prefix
FROM servico_status
