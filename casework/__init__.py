"""Closing the loop (issue 13): follow-up tickets, complaints, appeals and 民意征集 polls.

A leaf: imports only ``minyi`` and third-party code. Its store is one SQLite
file per home, ``<home>/casework.sqlite`` (WAL, created 0600), written by the
staff web (people's decisions) and by the flows (tickets opened from the
warehouse, deadlines, 回访 results, poll samples). The flows mirror what may be
published, without personal data, into the warehouse.
"""
