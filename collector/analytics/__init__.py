"""Analytics: what the answers and events say, read from rollups or recomputed from raw rows.

* ``core``: what the curve and the funnel share — significance constants,
  rounding, shares and their differences, windows, segments, UTC days.
* ``stats``: intervals and tests from sums (Student t, Wilson, Welch, z, Holm).
* ``curves``: the emotional curve of a journey (``docs/curves.md``), with its
  step rollups in ``rollups`` (sums and ingest adds).
* ``funnel``: how sessions move through a journey (``docs/funnel.md``):
  sessions in ``visits``, its rollup tables in ``funnel_rollups``.
* ``maintenance``: rebuild and verify of both rollup families (the
  ``stepsense rollups`` commands in ``collector.cli.rollups`` call it).
* ``emotion`` (the emotion score) and ``responses`` (answer filters, pages).
* ``themes``: the offline theme engine (comments grouped into recurring reasons).

May import ``common``, ``models``, ``extensions`` and ``sentiment``; never the
API, web, tenancy or other service packages, which import this one.
"""
