"""Asterisk configuration: templates rendered by a pure function, and the sandbox.

``render`` turns settings and data into config text (golden-file tested);
``write_config`` puts that text where an Asterisk reads it; ``sandbox`` builds and
runs the development Asterisk + PostgreSQL in a Debian sid root.
"""
