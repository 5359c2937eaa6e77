"""The composition root and the ``hotline`` command line: imports everything, imported by nothing."""
