"""Simulação (managers): pick corrections — or steps of the recommended plan — and see the
coverage, the reasons and the money, now versus simulated, and the customers who would become
covered. Nothing is written anywhere: the engine re-runs on an in-memory copy."""

from __future__ import annotations

import time

import streamlit as st

from carteiro import access, export
from carteiro import formatting as fmt
from carteiro.views import figures as figures_view
from carteiro.views import simulation as view
from carteiro.views import tables as tables_view
from pages import _common as common
from pages import _downloads as downloads
from pages import _simulation_data as data

ctx = common.context()
audit = ctx.audit

st.title("Simulação de correções")
st.caption(f"Faturas com vencimento de {ctx.period.label()}. Escolha correções e veja o que "
           "mudaria antes de mexer no ERP.")
st.info(view.NOTHING_WRITTEN, icon="🧪")

if audit.invoices.empty:
    common.no_invoices_notice(ctx)
    st.stop()

with st.spinner("Preparando a simulação e o plano recomendado…"):
    sim = data.simulator(ctx)
    plan = data.plan(ctx)
    opts = data.options(ctx)
    data.method_codes(ctx)

STEP_KEY = "sim_step_{}"


def apply_plan() -> None:
    """«Aplicar o plano recomendado»: every step switched on (before the form is read)."""
    for step in plan.steps:
        st.session_state[STEP_KEY.format(step.number)] = True


def clear() -> None:
    """«Limpar»: every correction switched off (before the form is read)."""
    for key in list(st.session_state):
        if isinstance(key, str) and key.startswith("sim_") and key not in (
                "sim_submit", "sim_apply_plan", "sim_clear"):
            del st.session_state[key]


def configuration_inputs() -> None:
    st.markdown("**Configuração do ERP**")
    if opts.routine is not None:
        st.checkbox("Ativar a rotina de envio de e-mail de cobrança", key="sim_routine")
    if opts.senders:
        st.caption("Remetentes a ativar (e com o teste de envio aprovado):")
    for s in opts.senders:
        what = ("Inativo e reprovado no teste de envio: ativar e considerar o teste aprovado."
                if s.inactive and s.failed else "Inativo: ativar." if s.inactive
                else "Reprovado no teste de envio: considerar o teste aprovado.")
        st.checkbox(access.text(s.label), key=f"sim_sender_{s.sender_id}", help=what)
    if opts.routine is None and not opts.senders:
        st.caption("A rotina está ativa e todos os remetentes estão ativos e aprovados.")
    methods = [None, *opts.methods]
    label = lambda m: "(nenhuma)" if m is None else opts.methods[m]  # noqa: E731
    st.markdown("**Nova regra de e-mail**")
    rule = st.columns([3, 2])
    rule[0].selectbox("Forma de cobrança", methods, format_func=label, key="sim_rule_method")
    rule[1].number_input("Dias do vencimento", min_value=-view.OFFSET_LIMIT,
                         max_value=view.OFFSET_LIMIT, value=0, step=1, key="sim_rule_days",
                         help="Negativo: antes do vencimento; 0: no dia; positivo: depois.")
    st.markdown("**Status do Serviço para Envio**")
    st.selectbox("Forma de cobrança", methods, format_func=label, key="sim_status_method")
    st.multiselect("Incluir os status", list(opts.statuses), format_func=opts.statuses.get,
                   key="sim_statuses", placeholder="Escolha os status")


def list_inputs() -> None:
    st.markdown("**Serviços e contatos**")
    if opts.notices:
        st.caption("Permitir e-mail de cobrança nos serviços com envio:")
    for notice, correction in opts.notices.items():
        st.checkbox(f"{access.text(f'«{notice}»')}: "
                    f"{fmt.plural(len(correction.targets), 'serviço')}",
                    key=f"sim_notice_{notice}",
                    help="Uma decisão por cliente: a simulação libera todos esses serviços.")
    if opts.contacts is not None or opts.addresses is not None:
        st.caption("Corrigir os contatos dos clientes:")
    if opts.contacts is not None:
        st.checkbox(f"Sem permissão: {fmt.plural(len(opts.contacts.targets), 'cliente')}",
                    key="sim_contacts", help=access.text(opts.contacts.action))
    if opts.addresses is not None:
        st.checkbox(f"E-mail inválido: {fmt.plural(len(opts.addresses.targets), 'cliente')}",
                    key="sim_addresses", help=access.text(opts.addresses.action))
    if not (opts.notices or opts.contacts or opts.addresses):
        st.caption("Nenhum serviço ou contato a corrigir.")
    st.markdown("**Plano recomendado** (cada passo com o ganho dado os anteriores)")
    if not plan.steps:
        st.caption("Nenhuma correção a sugerir: todas as faturas recebem aviso.")
    with st.container(height=300 if len(plan.steps) > 6 else "content", border=False):
        for step in plan.steps:
            gain = fmt.signed_integer(step.impact.customers)
            st.checkbox(f"{step.number}. {access.text(step.correction.action)} "
                        f"({gain} clientes)", key=STEP_KEY.format(step.number))


with st.form("sim_form"):
    left, right = st.columns(2, gap="large")
    with left:
        configuration_inputs()
    with right:
        list_inputs()
    buttons = st.container(horizontal=True)
    with buttons:
        st.form_submit_button("Simular", type="primary", icon=":material/play_arrow:",
                              key="sim_submit")
        st.form_submit_button("Aplicar o plano recomendado", icon=":material/checklist:",
                              on_click=apply_plan, key="sim_apply_plan",
                              disabled=not plan.steps)
        st.form_submit_button("Limpar", icon=":material/restart_alt:", on_click=clear,
                              key="sim_clear")

state = st.session_state
picked = view.corrections(opts, view.Picked(
    routine=bool(state.get("sim_routine")),
    senders=tuple(s.sender_id for s in opts.senders if state.get(f"sim_sender_{s.sender_id}")),
    rule_method=state.get("sim_rule_method"), rule_days=int(state.get("sim_rule_days") or 0),
    status_method=state.get("sim_status_method"), statuses=tuple(state.get("sim_statuses", ())),
    notices=tuple(n for n in opts.notices if state.get(f"sim_notice_{n}")),
    contacts=bool(state.get("sim_contacts")), addresses=bool(state.get("sim_addresses")),
    plan_steps=tuple(s.number for s in plan.steps if state.get(STEP_KEY.format(s.number))),
), plan)

began = time.perf_counter()
simulated = view.simulate(sim, picked)
result = view.compare(sim, simulated, data.methods_now(ctx), data.method_codes(ctx))
seconds = time.perf_counter() - began

st.header("Hoje × simulado")
if not picked:
    st.caption("Nenhuma correção escolhida: o simulado é igual a hoje. Marque correções acima "
               "e clique em «Simular».")
else:
    st.markdown(f"**{fmt.plural(len(picked), 'correção', 'correções')} simulada"
                f"{'s' if len(picked) > 1 else ''}** (calculado em {fmt.decimal(seconds, 1)} s):")
    st.markdown("\n".join(f"- {access.text(a)}" for a in view.picked_summary(picked)))
    gained = result.simulated.covered - result.now.covered
    share_now = fmt.percent(result.now.covered_share or 0)
    share_then = fmt.percent(result.simulated.covered_share or 0)
    st.success(f"Com estas correções: **{fmt.signed_integer(gained)} clientes cobertos** "
               f"({share_now} → {share_then}) e **{fmt.money(result.amount_gained)}** em "
               "faturas em aberto passam a receber o aviso.", icon="📈")

st.caption("Valores simulados; a variação é em relação a hoje.")
metrics = result.metrics()
for row in (metrics[:4], metrics[4:]):
    for column, metric in zip(st.columns(len(row)), row, strict=True):
        column.metric(metric.label, metric.value, metric.delta, delta_color=metric.delta_color,
                      help=metric.help, border=True)

for title, now_figure, simulated_figure, key in (
    ("Cobertura por forma de cobrança",
     figures_view.coverage_breakdown_figure(result.methods_now),
     figures_view.coverage_breakdown_figure(result.methods_simulated), "methods"),
    ("Motivos de falha", figures_view.reasons_figure(result.reasons_now),
     figures_view.reasons_figure(result.reasons_simulated), "reasons"),
):
    if key == "reasons":  # the same scale on both sides (the methods' totals do not change)
        for figure in (now_figure, simulated_figure):
            figure.update_xaxes(range=[0, max(result.reasons_top, 1) * 1.15])
    st.subheader(title)
    now_column, simulated_column = st.columns(2, gap="large")
    for column, caption, figure, side in ((now_column, "Hoje", now_figure, "now"),
                                          (simulated_column, "Simulado", simulated_figure,
                                           "simulated")):
        column.markdown(f"**{caption}**")
        column.plotly_chart(figure, width="stretch", config=common.PLOTLY_CONFIG,
                            key=f"sim_chart_{key}_{side}")

rows = result.gained
st.subheader("Clientes que passariam a ser cobertos")
if rows.empty:
    st.info("Nenhum cliente passaria a ser coberto com as correções escolhidas.", icon="ℹ️")
    st.stop()
shown = rows.head(tables_view.TABLE_ROW_LIMIT)
text = f"**{fmt.plural(len(rows), 'cliente')}**, hoje sem cobertura completa"
if len(rows) > len(shown):
    text += (f" — a tabela mostra os primeiros {fmt.integer(len(shown))}; a exportação inclui "
             "todos")
st.markdown(text)
G = view.Gained
common.table(shown, view.GAINED_HEADERS, money=[G.AMOUNT], ids=[G.ID], integers=[G.INVOICES],
             key="sim_gained", widths={G.NAME: 230, G.AMOUNT: 190, G.REASONS: 280})

stem = f"carteiro-simulacao-{ctx.period.start:%Y-%m-%d}-a-{ctx.period.end:%Y-%m-%d}"
count = fmt.plural(len(rows), "cliente")
buttons = st.container(horizontal=True)
downloads.button(buttons, f"Baixar CSV ({count})",
                 lambda: export.to_excel_csv(rows, view.GAINED_HEADERS),
                 file_name=f"{stem}.csv", mime="text/csv", key="sim_download_csv")
downloads.button(buttons, f"Baixar Excel ({count})",
                 lambda: export.to_xlsx(rows, view.GAINED_HEADERS, sheet="Simulação",
                                        money=[G.AMOUNT]),
                 file_name=f"{stem}.xlsx",
                 mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                 key="sim_download_xlsx")
