"""Auditing: a submission log in, effective wages and top-ups out.

``presets`` maps platform exports onto one schema, ``engine`` validates and streams the rows,
``rows`` buckets them by worker, ``kernel`` unions intervals and sums pay, ``money`` converts and
rounds top-ups up, ``projects`` summarises per project, ``ledger`` writes back-pay files, ``dask``
runs the same kernel per partition.
"""
