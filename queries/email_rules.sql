-- E-mail sending rules (Forma de Cobrança > Ações > Editar > aba E-mail).
-- days_offset: -3 = three days before the due date, 0 = on it, 5 = five days after.
SELECT
  id_regra_email    AS rule_id,
  id_forma_cobranca AS method_id,
  dias              AS days_offset,
  assunto           AS subject,
  ativo             AS active
FROM forma_cobranca_regra_email
