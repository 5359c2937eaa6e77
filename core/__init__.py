"""Leaves that every other package may import: settings, errors, logging.

Nothing in here imports another package of this project.
"""
