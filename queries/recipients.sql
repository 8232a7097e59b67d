-- Recipients of billing e-mail: the customer record's own address (origin 'cadastro_cliente')
-- and every contact (origin 'contato', Cliente > Cadastro > Contato).
-- `email` may hold several addresses separated by , or ;   NULL allows_email = not allowed.
SELECT
  'cadastro_cliente'   AS origin,
  id_cliente           AS recipient_id,
  id_cliente           AS customer_id,
  nome_razaosocial     AS name,
  email_principal      AS email,
  permite_enviar_email AS allows_email
FROM cliente
UNION ALL
SELECT
  'contato'            AS origin,
  id_cliente_contato   AS recipient_id,
  id_cliente           AS customer_id,
  nome                 AS name,
  email                AS email,
  permite_enviar_email AS allows_email
FROM cliente_contato
