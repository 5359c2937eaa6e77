"""The composition root and the ``hotline`` command line.

Imports everything; imported by nothing.
"""
