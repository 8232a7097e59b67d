"""The dashboard's doors: who may open it (:mod:`.policy`), how fast wrong passwords are
refused (:mod:`.throttle`) and how text from the ERP stays text (:mod:`.markup`).

Pure Python, no Streamlit: ``pages/_gate.py`` draws what these decide.
"""

from carteiro.access.markup import chart_text, text
from carteiro.access.policy import (
    INVALID,
    OIDC,
    OPEN,
    PASSWORD,
    AccessPolicy,
    email_allowed,
    password_matches,
    policy_from_secrets,
    unreadable,
)
from carteiro.access.throttle import Attempt, LoginThrottle, failure_delay

__all__ = [
    "INVALID", "OIDC", "OPEN", "PASSWORD", "AccessPolicy", "Attempt", "LoginThrottle", "chart_text",
    "email_allowed", "failure_delay", "password_matches", "policy_from_secrets", "text",
    "unreadable",
]
