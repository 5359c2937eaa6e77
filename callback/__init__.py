"""Callbacks from voicemail, escalations and kept places (standard.md R11, R12).

Not built yet.
"""
