-- Billing methods (Configuração > Financeiro > Forma de Cobrança).
-- sender_id NULL = the default sender.
SELECT
  id_forma_cobranca  AS method_id,
  descricao          AS description,
  id_remetente_email AS sender_id,
  ativo              AS active
FROM forma_cobranca
