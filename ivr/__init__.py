"""The caller's side: prompts and greetings (R6, R7, R14), and the one working-day
calendar (``calendar``: pure rules — admin overrides, official notices, chinese-calendar,
the holidays package; ``calendar_service.Calendar`` keeps it in memory).

The IVR node model arrives with the dial-plan work.
"""
