"""Call records (standard.md R10 and the quality figures).

``model`` follows one call through AMI events (pure); ``cel`` rebuilds the same record
from Asterisk's own CEL rows after the service was down (pure); ``repo`` stores rows
exactly once per Linkedid; ``service`` wires them to the AMI adapter. ``path`` folds
the dial-plan path, language and holds for both ``model`` and ``cel``.
"""
