"""Write rate of the embedded database as writes accumulate: the app's URI (no retryable writes) beside the
driver's default (retryable writes on), each on a fresh in-memory SecantusDB server.

Each side inserts `--rounds` rounds of `--writes` small documents, one insert_one at a time, and the rate of each
round is kept. SecantusDB 0.7.0b3 keeps a reply per retryable write for 30 minutes, up to 10,000, and scans them
on every write (sorting them once the cap is reached), so with the driver's default the rate falls as the count
grows; the figure is the rate of the last round, after 15,000 writes by default.
"""

from __future__ import annotations

import argparse
import statistics
import time

from _common import Figure, in_memory_database, machine_line, write_results
from pymongo import MongoClient


def round_rates(uri: str, *, retry_writes: bool, rounds: int, writes: int) -> list[float]:
    """Inserts per second in each round, on one client and one collection."""
    client: MongoClient = MongoClient(uri, retryWrites=retry_writes)  # overrides the URI's option
    collection = client["bench_db_writes"]["documents"]
    rates = []
    try:
        for number in range(rounds):
            started = time.perf_counter()
            for index in range(writes):
                collection.insert_one({"_id": f"{number}-{index}", "payload": "x" * 100})
            rates.append(writes / (time.perf_counter() - started))
    finally:
        client.close()
    return rates


def main() -> None:
    started = time.perf_counter()
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--writes", type=int, default=500, help="inserts per round")
    args = parser.parse_args()
    with in_memory_database() as uri:  # the app's setting: retryWrites=false
        ours = round_rates(uri, retry_writes=False, rounds=args.rounds, writes=args.writes)
    with in_memory_database() as uri:  # the driver's default
        default = round_rates(uri, retry_writes=True, rounds=args.rounds, writes=args.writes)
    total = args.rounds * args.writes
    print(machine_line())
    print(f"{args.rounds} rounds of {args.writes} inserts; rates per round (inserts/s):")
    print("  app's URI (retryWrites=false):", " ".join(f"{rate:.0f}" for rate in ours))
    print("  driver default (retryable)   :", " ".join(f"{rate:.0f}" for rate in default))
    print(f"last round: {ours[-1]:.0f} vs {default[-1]:.0f} inserts/s")
    write_results(
        "db_writes",
        [
            Figure(
                f"Embedded database inserts after {total:,} writes (db_writes.py)",
                ours[-1],
                "inserts/s",
                baseline=default[-1],
                baseline_is="the same inserts with the driver's default retryable writes, on a fresh server",
                target="no fall as writes accumulate",
                notes=f"first round {ours[0]:.0f} vs {default[0]:.0f}/s; median of all rounds "
                f"{statistics.median(ours):.0f} vs {statistics.median(default):.0f}/s; one insert_one at a time, "
                f"{args.rounds} rounds of {args.writes}",
            )
        ],
        started=started,
        parameters=vars(args),
        details={"ours": ours, "driver_default": default},
    )


if __name__ == "__main__":
    main()
