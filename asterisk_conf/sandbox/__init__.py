"""The development sandbox: a cached Debian sid root running Asterisk 22 and PostgreSQL.

``host`` knows the host (processes, mounts, apt), ``rootfs`` builds the root,
``services`` runs Asterisk and PostgreSQL inside it, ``sandbox`` ties them into
``up`` / ``down`` / ``status``.
"""
