-- Customers (Cliente > Cadastro). One row per customer; `active` is shown, never judged.
SELECT
  id_cliente       AS customer_id,
  nome_razaosocial AS name,
  cpf_cnpj         AS document,
  cidade           AS city,
  ativo            AS active
FROM cliente
