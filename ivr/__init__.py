"""The caller's side: prompts and greetings (R6, R7, R14).

The IVR node model and the holiday calendar arrive with the dial-plan work; today
this package holds the standard's prompt wording and how a prompt becomes audio.
"""
