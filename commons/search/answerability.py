"""Whether a case study answers a question: a relevance that means the same from question to question.

Fusion scores are shares of the best hit, so the top of any list looks good, gibberish
included. Answerability is decided in two steps, each a logistic model fitted on judged
questions:

1. **Does anything answer the question?** Each candidate's evidence
   (:data:`QUESTION_FEATURES`: its passages' cosines, the share of the question's rare words
   its best passage and the whole case study hold, whether its topic is named, how far it
   stands out from the other candidates, and whether the question asks what the rules are)
   gives the probability that it answers; the best of these says whether the Commons holds
   an answer at all. Below :attr:`Calibration.question_floor` nothing answers: the page says
   so and shows the nearest. A question the Commons knows nothing about finds many
   candidates that each match a little, none standing out (the two ``_lift`` signals: how
   many standard deviations a candidate's cosine and keyword share stand above the
   candidates' mean, a measure taken from query-performance prediction).
2. **Which case studies answer it?** Each candidate's own signals (:data:`FEATURES`), and how
   far it falls behind the strongest candidate of the same question (the ``_gap`` signals),
   give the probability that a teacher would judge it a useful answer (grade 2 or 3). Those
   at or above :attr:`Calibration.floor` answer the question.

The first step keeps a question the Commons knows nothing about from showing answers,
however many of its words the best match shares; the second keeps a question with
one strong answer from listing nine weak ones beside it.

The weights and floors live in ``calibration.json`` beside this module. They are fitted by
``commons judged DIR --split SPLIT --fit FILE`` (see ``commons/ops/judged.py``) on judged
questions that are then never reported; the README in the question folder says which.
"""

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import numpy.typing as npt

CALIBRATION_FILE = Path(__file__).with_name("calibration.json")

OWN_FEATURES: tuple[str, ...] = (
    "dense_best",  # cosine of the question and the case study's best passage
    "dense_second",  # cosine of its second-best passage: several sections agreeing
    "lexical_best",  # share of the topic's idf weight found in its best passage
    "lexical_study",  # share of the topic's idf weight found anywhere in its matched passages
    "topic_tag",  # 1 when one of its topic tags is named in the question (or the glossary's reading of it)
    "about",  # share of the topic's idf weight in its title and topic labels: what it is about
    "summary",  # share of the topic's idf weight in its summary
    "rules",  # 1 when the question asks what the rules are (rules.py): no account of improvement answers that
)

# which case studies answer: a candidate's own signals, and how far it falls behind the strongest candidate
FEATURES: tuple[str, ...] = (
    *OWN_FEATURES,
    "dense_gap",  # its dense_best minus the best dense_best of any candidate (0 for the strongest)
    "lexical_gap",  # its lexical_best minus the best lexical_best of any candidate
    "about_gap",  # its about minus the best about of any candidate
)

# whether anything answers: a candidate's own signals, and how far it stands out from the others
QUESTION_FEATURES: tuple[str, ...] = (
    *OWN_FEATURES,
    "dense_lift",  # how far its dense_best stands above the candidates' mean, in their standard deviations
    "lexical_lift",  # the same for its lexical_study
)


def with_gaps(candidates: Sequence[dict[str, float]],
              background: Sequence[tuple[float, float]] = ()) -> None:
    """Add each candidate's lifts above the reference's mean, and gaps to the strongest candidate (in place).

    The reference is the candidates' (dense_best, lexical_study), with ``background`` added: the
    same two values for passages drawn from the whole commons, which the search path supplies
    when filters or a small commons leave fewer candidates than it scores (a handful of
    candidates, all on the topic, would otherwise leave none standing out).
    """
    best_dense = max((c["dense_best"] for c in candidates), default=0.0)
    best_lexical = max((c["lexical_best"] for c in candidates), default=0.0)
    best_about = max((c.get("about", 0.0) for c in candidates), default=0.0)
    reference = np.array([(c["dense_best"], c["lexical_study"]) for c in candidates] + list(background)
                         or [(0.0, 0.0)], dtype=np.float64)
    (dense_mean, lexical_mean), (dense_spread, lexical_spread) = (
        reference.mean(axis=0).tolist(), (reference.std(axis=0) + 0.01).tolist())
    for features in candidates:
        features["dense_lift"] = (features["dense_best"] - dense_mean) / dense_spread
        features["lexical_lift"] = (features["lexical_study"] - lexical_mean) / lexical_spread
        features["dense_gap"] = features["dense_best"] - best_dense
        features["lexical_gap"] = features["lexical_best"] - best_lexical
        features["about_gap"] = features.get("about", 0.0) - best_about


def _logistic(weights: Mapping[str, float], bias: float, features: Mapping[str, float]) -> float:
    z = bias + sum(weight * features.get(name, 0.0) for name, weight in weights.items())
    return 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))


def _logistics(weights: Mapping[str, float], bias: float,
               rows: Sequence[Mapping[str, float]]) -> npt.NDArray[np.float64]:
    """:func:`_logistic` of many rows at once."""
    names = list(weights)
    x = np.array([[row.get(name, 0.0) for name in names] for row in rows], dtype=np.float64)
    x = x.reshape(len(rows), len(names))  # no rows: an empty matrix of the right width
    z = bias + x @ np.fromiter(weights.values(), dtype=np.float64, count=len(names))
    return 1.0 / (1.0 + np.exp(-np.clip(z, -60.0, 60.0)))


@dataclass(frozen=True)
class Calibration:
    """The two logistic models, and the floors that separate answers from the rest."""

    weights: Mapping[str, float]
    bias: float
    floor: float
    question_weights: Mapping[str, float]
    question_bias: float
    question_floor: float
    fitted_on: str = ""

    def relevance(self, features: Mapping[str, float]) -> float:
        """A candidate's calibrated relevance, from 0 to 1."""
        return _logistic(self.weights, self.bias, features)

    def relevances(self, rows: Sequence[Mapping[str, float]]) -> list[float]:
        """Many candidates' calibrated relevances at once (as :meth:`relevance` gives each)."""
        relevances: list[float] = _logistics(self.weights, self.bias, rows).tolist()
        return relevances

    def answers(self, relevance: float) -> bool:
        return relevance >= self.floor

    def answerable(self, candidates: Sequence[Mapping[str, float]]) -> float:
        """How likely the best-evidenced candidate is an answer, judged on its own evidence alone."""
        return max(_logistics(self.question_weights, self.question_bias, candidates).tolist(), default=0.0)

    def anything_answers(self, answerable: float) -> bool:
        return answerable >= self.question_floor

    def to_json(self) -> str:
        return json.dumps({
            "features": list(FEATURES), "weights": dict(self.weights), "bias": self.bias, "floor": self.floor,
            "question_features": list(QUESTION_FEATURES), "question_weights": dict(self.question_weights),
            "question_bias": self.question_bias, "question_floor": self.question_floor,
            "fitted_on": self.fitted_on,
        }, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str, where: str = "calibration") -> "Calibration":
        data = json.loads(text)
        missing = [name for name in FEATURES if name not in data.get("weights", {})]
        missing += [name for name in QUESTION_FEATURES if name not in data.get("question_weights", {})]
        if missing:
            raise ValueError(f"{where}: no weight for {', '.join(missing)}; refit with `commons judged --fit`")
        return cls({n: float(data["weights"][n]) for n in FEATURES}, float(data["bias"]), float(data["floor"]),
                   {n: float(data["question_weights"][n]) for n in QUESTION_FEATURES},
                   float(data["question_bias"]), float(data["question_floor"]), str(data.get("fitted_on", "")))


@cache
def default_calibration() -> Calibration:
    """The calibration shipped beside this module."""
    return Calibration.from_json(CALIBRATION_FILE.read_text(encoding="utf-8"), str(CALIBRATION_FILE))


def fit(rows: Sequence[Mapping[str, float]], labels: Sequence[int], l2: float = 1.0,
        iterations: int = 50, without: frozenset[str] = frozenset(),
        names: Sequence[str] = FEATURES) -> tuple[dict[str, float], float]:
    """Logistic regression by Newton's method with a small L2 penalty (not on the bias).

    The classes are weighted to count equally (a question has a few answers among fifty
    candidates), so a relevance of 0.5 means "as likely an answer as not" at even odds, and
    the floor chosen from the judged questions lands near the middle of the scale. Features
    named in ``without`` get no weight (to measure what each signal adds).
    """
    x = np.array([[0.0 if name in without else row.get(name, 0.0) for name in names] + [1.0] for row in rows],
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
    return {name: float(w[i]) for i, name in enumerate(names)}, float(w[-1])
