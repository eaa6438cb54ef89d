"""Write examples/audit_log.csv: a small, seeded, synthetic generic-format submission log.

Why: the README's audit example needs a log anyone can run; real platform logs are not shipped.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from pathlib import Path

PLACES = [("US", ""), ("US", "US-CA"), ("KE", ""), ("IN", "IN-KA"), ("GB", ""), ("BR", "")]


def main() -> None:
    rnd = random.Random(42)
    t0 = datetime(2024, 3, 4, 8, 0, tzinfo=UTC)
    lines = ["worker,project,task,started,submitted,reward,currency,status,country,subdivision,bonus"]
    n = 0
    for w in range(12):
        country, sub = PLACES[w % len(PLACES)]
        t = t0 + timedelta(minutes=rnd.randint(0, 600))
        for _ in range(rnd.randint(3, 8)):
            project = rnd.choice(["sentiment-v1", "bbox-v2"])
            reward = {"sentiment-v1": "0.50", "bbox-v2": "1.20"}[project]
            dur = timedelta(seconds=int(rnd.lognormvariate(5.5, 0.6)))
            start = t + timedelta(seconds=rnd.randint(-60, 300))
            status = rnd.choices(["approved", "rejected", "returned"], [0.9, 0.06, 0.04])[0]
            bonus = "0.25" if rnd.random() < 0.1 else "0"
            lines.append(
                f"W{w:03d},{project},T{n:05d},{start:%Y-%m-%dT%H:%M:%SZ},{start + dur:%Y-%m-%dT%H:%M:%SZ},"
                f"{reward},USD,{status},{country},{sub},{bonus}"
            )
            t = start + dur
            n += 1
    out = Path(__file__).with_name("audit_log.csv")
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {n} rows to {out}")


if __name__ == "__main__":
    main()
