-- Customer services (Cliente > Serviço). billing_notice is «envio_cobranca», the setting that
-- limits billing Email/SMS; NULL means the system default (e-mail and SMS).
SELECT
  id_cliente_servico AS service_id,
  id_cliente         AS customer_id,
  id_servico_status  AS status_id,
  plano              AS plan,
  envio_cobranca     AS billing_notice
FROM cliente_servico
