"""What every benchmark script reports beside the median: the 95th percentile of its timings."""


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
