"""Agents and their states (design.md "Agents and their states"; standard.md R1-R5, R8).

Not built yet: the transition table, the repository and the service arrive with
issue 5. Nothing here is wired into the service today.
"""
