"""Accounts: agents, supervisors and admins — who signs in with what, and the admin
API that manages them (issue 10). model (pure) -> queries.sql + repo -> service -> views."""
