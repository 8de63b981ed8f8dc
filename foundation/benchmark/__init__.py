"""The benchmark behind ``make bench`` (issue 6), split by job.

- :mod:`~foundation.benchmark.text` and :mod:`~foundation.benchmark.dataset`: the 10,000
  posts, registry and images ``manage.py bench_data`` writes;
- :mod:`~foundation.benchmark.serving`: gunicorn, wrk and the scratch databases;
- :mod:`~foundation.benchmark.report`: the table, and the targets it is checked against.

``manage.py bench`` (foundation/management/commands/bench.py) ties them together.
"""
