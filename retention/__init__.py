"""Retention: CEL and audit rows that grow with calls leave after their time
(``model`` the pure rules, ``queries.sql`` + ``repo`` the store, ``job`` the hourly
purge)."""
