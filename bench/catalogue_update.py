"""What a change costs the search path's catalogue: read whole against updated, at corpus size.

    HF_HUB_OFFLINE=1 .venv/bin/python bench/catalogue_update.py [--sizes 10000 100000] [--repeats 5]

The catalogue (``commons/search/catalogue.py``) holds the facts about every published case
study that filters, grouping and comparisons read; each worker makes a new one after every
publish or withdrawal, on its next search. For each size (a synthetic commons, see
bench/synthetic.py) this times, in one run: reading the catalogue whole (what every change cost
before), and making it from the one before after one case study is withdrawn (what a change
costs now; the withdrawal is rolled back after each repeat, so the cached commons is not
changed). Prints the medians in ms and their ratio.
"""

import argparse
import statistics
import time

import synthetic


def measure(n: int, repeats: int) -> tuple[list[float], list[float]]:
    from sqlalchemy import select

    from commons import create_app
    from commons.db import db
    from commons.models import CaseStudy
    from commons.search import catalogue as module
    from commons.services.publishing import withdraw

    folder = synthetic.database(n)
    app = create_app({"COMMONS_DATABASE_URL": f"sqlite:///{folder}/commons.db", "COMMONS_INSTANCE_PATH": str(folder),
                      "COMMONS_SECRET_KEY": "benchmark"})
    whole, updated = [], []
    with app.app_context():
        ids = list(db.session.scalars(select(CaseStudy.id).order_by(CaseStudy.id)))
        for repeat in range(repeats):
            module._CACHE.clear()
            start = time.perf_counter()
            before = module.catalogue(db.session)
            whole.append(time.perf_counter() - start)
            study = db.session.get(CaseStudy, ids[(repeat * 7919) % len(ids)])
            assert study is not None
            withdraw(db.session, study)  # not committed: rolled back below
            start = time.perf_counter()
            after = module.catalogue(db.session)  # the newest change is now the withdrawal's
            updated.append(time.perf_counter() - start)
            assert after.position > before.position and study.id not in after.studies
            db.session.rollback()
    return whole, updated


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    print(f"{'passages':>10}{'read whole ms':>15}{'updated ms':>12}{'ratio':>8}")
    for n in args.sizes:
        whole, updated = measure(n, args.repeats)
        w, u = statistics.median(whole), statistics.median(updated)
        print(f"{n:>10,}{w * 1000:>15.1f}{u * 1000:>12.1f}{u / w:>8.3f}", flush=True)


if __name__ == "__main__":
    main()
