"""Dados: the data problems found while reading the ERP (unknown ids, unreadable dates,
unknown status words, duplicated ids…), so they can be fixed in the ERP."""

from __future__ import annotations

import streamlit as st

from carteiro import export
from carteiro import formatting as fmt
from carteiro.views import data as data_view
from carteiro.views import tables as tables_view
from pages import _common as common
from pages import _downloads as downloads
from pages import _url as url_state

ctx = common.context()
audit = ctx.audit

st.title("Problemas nos dados do ERP")
st.caption("Nada é descartado em silêncio: cada valor que o Carteiro não conseguiu ler como o "
           "ERP espera aparece aqui, com o id do registro, para ser corrigido no ERP.")

summary = data_view.problem_summary(audit)
if summary.empty:
    st.success("Nenhum problema encontrado nos dados lidos.", icon="✅")
    st.stop()

st.markdown(f"**{fmt.plural(len(audit.problems), 'problema')}** "
            f"{'encontrado' if len(audit.problems) == 1 else 'encontrados'}.")
Row = data_view.ProblemRow
widths = {Row.KIND: 220, Row.TABLE: 160, Row.ID: 110, Row.DETAIL: 460, Row.COUNT: 110}
common.table(summary, data_view.PROBLEM_HEADERS, integers=[Row.COUNT], key="data_summary",
             widths=widths)

kind_options = sorted(summary[Row.KIND].unique())
url_state.keep_options(common.K_DATA_KINDS, kind_options, "Tipo de problema",
                       ctx.period.label())
kinds = st.multiselect("Tipo de problema", kind_options, placeholder="Todos",
                       key=common.K_DATA_KINDS, select_all=False)
url_state.publish()
problems = data_view.problems_view(audit, kinds)
common.table(problems.head(tables_view.TABLE_ROW_LIMIT), data_view.PROBLEM_HEADERS,
             key="data_problems", height=420, wrap=True,  # the details are long
             widths={Row.KIND: 170, Row.TABLE: 190, Row.ID: 80, Row.DETAIL: 530})
if len(problems) > tables_view.TABLE_ROW_LIMIT:
    st.caption(f"A tabela mostra os primeiros {fmt.integer(tables_view.TABLE_ROW_LIMIT)} de "
               f"{fmt.integer(len(problems))}; a exportação inclui todos.")
stem = f"carteiro-dados-{ctx.period.start:%Y-%m-%d}-a-{ctx.period.end:%Y-%m-%d}"
downloads.button(
    st, f"Baixar CSV ({fmt.plural(len(problems), 'problema')})",
    lambda: export.to_excel_csv(problems, data_view.PROBLEM_HEADERS),
    file_name=f"{stem}.csv", mime="text/csv", key="data_download",
)
