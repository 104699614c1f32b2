"""`make bench`: case-engine throughput against bare SpiffWorkflow, on SQLite and PostgreSQL.

Run with `python -m benchmarks [--cases N]`; see benchmarks.__main__ for the options. The numbers are
compared against the "Speed" targets of the architecture: engine overhead within 3x of bare
SpiffWorkflow, and at least 300 (SQLite) / 200 (PostgreSQL) new meldingen per second in one process.
"""
