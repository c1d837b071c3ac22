"""Whether a case study answers a question: a relevance that means the same from question to question.

Fusion scores are shares of the best hit, so the top of any list looks good, gibberish
included. Here each candidate case study is described by signals that do not depend on the
other candidates (:data:`FEATURES`), and a logistic model turns them into the probability
that a teacher would judge the case study a useful answer (grade 2 or 3 in the judged
question set). Results at or above :attr:`Calibration.floor` answer the question; the rest
are at most "the nearest we have".

The weights and the floor live in ``calibration.json`` beside this module. They are fitted
on the *tune* half of the judged question set by ``commons judged DIR --split tune --fit``
(see ``commons/ops/judged.py``), and reported on the held-back half.
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")

FEATURES: tuple[str, ...] = (
    "dense_best",  # cosine of the question and the case study's best passage
    "dense_second",  # cosine of its second-best passage: several sections agreeing
    "lexical_best",  # share of the topic's idf weight found in its best passage
    "lexical_study",  # share of the topic's idf weight found anywhere in its matched passages
    "topic_tag",  # 1 when one of its topic tags is named in the question (or the glossary's reading of it)
)


@dataclass(frozen=True)
class Calibration:
    """A logistic model over :data:`FEATURES`, and the floor that separates answers from the rest."""

    weights: Mapping[str, float]
    bias: float
    floor: float
    fitted_on: str = ""

    def relevance(self, features: Mapping[str, float]) -> float:
        """The calibrated relevance, from 0 to 1."""
        z = self.bias + sum(self.weights.get(name, 0.0) * features.get(name, 0.0) for name in FEATURES)
        return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))

    def answers(self, relevance: float) -> bool:
        return relevance >= self.floor

    def to_json(self) -> str:
        return json.dumps({"features": list(FEATURES), "weights": dict(self.weights), "bias": self.bias,
                           "floor": self.floor, "fitted_on": self.fitted_on}, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "calibration") -> "Calibration":
        data = json.loads(text)
        missing = [name for name in FEATURES if name not in data.get("weights", {})]
        if missing:
            raise ValueError(f"{where}: no weight for {', '.join(missing)}; refit with `commons judged --fit`")
        return cls({n: float(data["weights"][n]) for n in FEATURES}, float(data["bias"]), float(data["floor"]),
                   str(data.get("fitted_on", "")))


@cache
def default_calibration() -> Calibration:
    """The calibration shipped beside this module."""
    return Calibration.from_json(CALIBRATION_FILE.read_text(encoding="utf-8"), str(CALIBRATION_FILE))


def fit(rows: Sequence[Mapping[str, float]], labels: Sequence[int], l2: float = 1.0,
        iterations: int = 50, without: frozenset[str] = frozenset()) -> tuple[dict[str, float], float]:
    """Logistic regression by Newton's method with a small L2 penalty (not on the bias).

    The classes are weighted to count equally (a question has a few answers among fifty
    candidates), so a relevance of 0.5 means "as likely an answer as not" at even odds, and
    the floor chosen from the judged questions lands near the middle of the scale. Features
    named in ``without`` get no weight (to measure what each signal adds).
    """
    x = np.array([[0.0 if name in without else row.get(name, 0.0) for name in FEATURES] + [1.0] for row in rows],
                 dtype=np.float64)
    y = np.asarray(labels, dtype=np.float64)
    positives = max(1.0, float(y.sum()))
    negatives = max(1.0, float(len(y) - y.sum()))
    sample = np.where(y > 0, len(y) / (2 * positives), len(y) / (2 * negatives))
    w = np.zeros(x.shape[1])
    penalty = np.eye(x.shape[1]) * l2
    penalty[-1, -1] = 0.0
    for _ in range(iterations):
        p = 1.0 / (1.0 + np.exp(-np.clip(x @ w, -60, 60)))
        gradient = x.T @ (sample * (p - y)) + penalty @ w
        hessian = (x.T * (sample * p * (1 - p))) @ x + penalty
        step = np.linalg.solve(hessian, gradient)
        w -= step
        if float(np.abs(step).max()) < 1e-8:
            break
    return {name: float(w[i]) for i, name in enumerate(FEATURES)}, float(w[-1])
