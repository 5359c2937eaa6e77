"""The caller's side: prompts and greetings (R6, R7, R14), and the one working-day
calendar (``calendar``: the official calendar with 调休, plus admin overrides).

The IVR node model arrives with the dial-plan work.
"""
