"""Bar coverage: for every ISO 3166-1 country, which bar a default check uses; and how good the
living-wage estimate is out of sample.

Prints one line per country (living wage: cited / estimate / minimum / other_cited / none; its
method, year, confidence; the bar after ``higher``), the counts, the same for the 38 countries where
most data-enrichment workers live (issue 17), and the estimate's leave-one-country-out (LOCO)
accuracy on the cited figures it is fitted on: each country is refitted out and predicted; the
median absolute error of the prediction and the share of left-out countries inside the nominal
80 % interval. Targets: median absolute error <= 20 %, coverage >= 75 %.

    python benchmarks/bar_coverage.py            # all countries
    python benchmarks/bar_coverage.py --focus    # only the 38
"""

from __future__ import annotations

import argparse
import statistics
from collections import Counter

FOCUS = (
    "US IN KE PH VE UG NG PK BD GH EG GB BR CO AR MX UA RS PL RO MA TN ZA ID VN MY TH NP LK ET RW TZ "
    "DE FR ES IT CA AU"
).split()


def main(argv: list[str] | None = None) -> int:
    from fairpay.wages import benchmarks

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--focus", action="store_true", help="only the 38 countries of issue 17")
    args = parser.parse_args(argv)

    coll = benchmarks()
    rows = coll.default_bars(FOCUS if args.focus else None)
    print(f"{'country':7} {'living':11} {'method':24} {'year':4} {'conf.':6} {'bar':8} hourly bar")
    for r in rows:
        if r["living_source"] == "none":
            print(f"{r['country']:7} {'none':11} {r['reason'][:110]}")
            continue
        print(
            f"{r['country']:7} {r['living_source']:11} {r['living_method']:24} {r['living_year']:<4} "
            f"{r['living_confidence'] or '-':6} {r['bar_kind']:8} {r['bar_hourly']} {r['bar_currency']} "
            f"({r['bar_year']})"
        )
    print()
    print(
        "countries by the living wage a default check uses:", dict(Counter(r["living_source"] for r in rows))
    )
    focus = [r for r in rows if r["country"] in FOCUS]
    if not args.focus:
        print("the 38 of issue 17:", dict(Counter(r["living_source"] for r in focus)))

    model = coll.model
    print()
    print(f"estimate: {model.describe()}")
    print(f"  ln(wage, 2021 PPP $/h) = {model.intercept:.4f} + {model.slope:.4f} ln(GDP per capita PPP)")
    print(f"  residual sd {model.residual_sd:.4f} (log points); vintages {dict(model.vintages)}")
    print(f"  {'left out':8} {'actual':>8} {'predicted':>9} {'error':>7}  80% interval    in range")
    for x in model.loco:
        print(
            f"  {x.country:8} {x.actual:8.3f} {x.predicted:9.3f} {x.error:+7.1%}  "
            f"{x.low:6.3f}-{x.high:6.3f} {'yes' if x.covered else 'NO ':3}  {'yes' if x.inside_range else 'no'}"
        )
    inside = [x for x in model.loco if x.inside_range]
    if inside and len(inside) < len(model.loco):
        print(
            f"  the {len(inside)} left-out countries inside the others' income range (the only ones fairpay "
            f"would predict): median absolute error {statistics.median(abs(x.error) for x in inside):.1%}, "
            f"coverage {sum(x.covered for x in inside) / len(inside):.0%}"
        )
    mae, cov = model.loco_median_abs_error, model.loco_coverage
    print(
        f"LOCO median absolute error {mae:.1%} (target <= 20%: {'met' if mae <= 0.20 else 'NOT met'}); "
        f"80% interval coverage {cov:.0%} (target >= 75%: {'met' if cov >= 0.75 else 'NOT met'}); "
        f"n = {len(model.loco)} countries"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
