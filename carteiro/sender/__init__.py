"""The e-mail sender: the SMTP test (Carteiro's «Remetente de Email > Ações > Testar») and its
history in Carteiro's own state store, which condition 2 reads."""
