"""Dial plans as data: drafts, validation, compilation to Asterisk config, publish.

Not built yet; today's dialplan is the fixed greeting-then-queue rendered by
``asterisk_conf``.
"""
