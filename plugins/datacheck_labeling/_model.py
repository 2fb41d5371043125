"""The label model: how accurate each LF is, learned from their agreements, and the labels it gives.

**The model** is Snorkel's conditionally independent one: given the true class ``Y``, each LF
votes independently, with ``μ[j, a, y] = P(LF j votes a | Y = y)``. Its second moments are
``O = μ P μᵀ`` (``P`` the class balance, ``O`` the pairwise vote frequencies of
:mod:`._agreement`), and its first moments ``μ p = diag(O)``. The fit is Snorkel's
matrix-completion objective

    ‖mask ⊙ (O - μ P μᵀ)‖² + ‖μ p - diag(O)‖²

(the mask leaves out each LF's block with itself and the blocks of dependent LFs), minimised
with L-BFGS-B and analytic gradients, not 100 steps of SGD, with ``μ`` bounded in ``[0, 1]``
and each class's vote probabilities summing to at most 1. Extra terms anchor the fit to gold
labels where rows carry them and fix the accuracy of trusted sources; the class balance is
given, read off gold rows, or uniform (pairwise agreements cannot tell it, see ``_problem``).
The labels are a class permutation away from any solution: with gold rows the fit starts from
their tables, in the right basin; without, Snorkel's rule keeps the permutation under which
the LFs agree most with the class they vote.

**Dependent LFs** are found from the data (:mod:`._dependencies`), their blocks are masked out
of the fit (each one's accuracy is learned from the independent LFs only), and each member of
a group of g LFs counts 1/g in the prediction, so a family of copies votes once.

**Prediction**: ``P(Y = y | votes) ∝ p_y Π_j μ[j, vote_j, y]^{w_j}`` over the LFs that voted.
Rows no LF voted on get no label (``predict`` gives -1; the Arrow output a null).
"""

from __future__ import annotations

import itertools
import json
import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
from scipy.optimize import linear_sum_assignment, minimize

from datacheck.errors import InputError, InputNotFoundError, OptionError
from datacheck.io import write_json_atomic
from datacheck_labeling._agreement import (
    AgreementGenerator,
    AgreementStatistics,
    add_votes,
    agreement_statistics,
)
from datacheck_labeling._analysis import LFSummary, gold_labels
from datacheck_labeling._dependencies import (
    Dependency,
    dependency_weights,
    find_dependencies,
    group_dependencies,
)
from datacheck_labeling._matrix import vote_matrix

__all__ = ["LABEL_MODEL_FORMAT", "FitOptions", "LabelModel", "load_label_model"]

#: the ``format`` field of a saved label model
LABEL_MODEL_FORMAT = "datacheck-labeling.label-model"
_FORMAT_VERSION = 1
#: how far apart two probabilities may be and still tie (Snorkel's tolerance)
_TIE = 1e-5
#: the penalty weight keeping each class's vote probabilities at most 1, and trusted LFs at
#: their accuracy: large next to the moment terms, whose squares are of order 1e-4
_PENALTY = 1e3
#: the weight holding a trusted LF at its accuracy: its squared miss is of order 1e-6
_TRUST_PENALTY = 1e6


@dataclass(frozen=True, slots=True, kw_only=True)
class FitOptions:
    """How a :class:`LabelModel` is fitted; kept with the model."""

    #: P(class), given; None: read off gold rows where there are some, else uniform
    class_balance: tuple[float, ...] | None = None
    #: find dependent LFs in the data and model them (mask and down-weight)
    detect_dependencies: bool = True
    #: the total variation that makes a pair of LFs dependent (see ``find_dependencies``)
    dependency_threshold: float = 0.1
    #: LF groups known to depend on each other, added to those found
    dependencies: tuple[tuple[str, ...], ...] = ()
    #: LFs with a fixed accuracy (P(right | it votes)), by name: trusted sources
    trust: Mapping[str, float] = field(default_factory=dict)
    #: weight of the gold-label term relative to the agreement terms; None: the share of
    #: rows with a gold label times the number of LFs (each LF's agreement blocks are m-1)
    gold_weight: float | None = None
    #: the initial accuracy of every LF (Snorkel's ``prec_init``)
    initial_accuracy: float = 0.7
    #: standard errors of the accuracies from this many parametric bootstrap refits (0: none)
    bootstrap: int = 0
    #: the seed of the bootstrap and of random tie-breaking
    seed: int = 0


def _clamp_eps(rows: int) -> float:
    """Snorkel's clamp of μ: ``min(0.01, 10 ** -ceil(log10 n))``."""
    return min(0.01, 1.0 / 10.0 ** math.ceil(math.log10(max(rows, 2))))


@dataclass(slots=True)
class _Problem:
    """One fit's data: moments, mask, anchors (private, built by :func:`_problem`)."""

    m: int
    k: int
    second: npt.NDArray[np.float64]  # O, (d, d)
    first: npt.NDArray[np.float64]  # diag O, (d,)
    mask: npt.NDArray[np.float64]  # (d, d) 1 where fitted
    balance: npt.NDArray[np.float64]  # p: given, from gold rows, or uniform
    gold: npt.NDArray[np.float64] | None  # (m, k, k): P(vote a, Y = y) on gold rows
    gold_weight: float
    trusted: npt.NDArray[np.int64]  # LF indices with fixed accuracy
    trust: npt.NDArray[np.float64]  # their accuracy


def _problem(
    stats: AgreementStatistics,
    options: FitOptions,
    groups: tuple[tuple[str, ...], ...],
) -> _Problem:
    m, k, n = len(stats.names), stats.cardinality, max(stats.num_rows, 1)
    second = stats.pair_counts / n
    first = np.diag(second).copy()
    mask = np.ones_like(second)
    index = {name: j for j, name in enumerate(stats.names)}
    blocked = [[index[name] for name in group] for group in groups]
    for j in range(m):
        mask[j * k : (j + 1) * k, j * k : (j + 1) * k] = 0
    for members in blocked:
        for a, b in itertools.permutations(members, 2):
            mask[a * k : (a + 1) * k, b * k : (b + 1) * k] = 0
    gold = None
    gold_rows = stats.gold_rows
    balance = None if options.class_balance is None else np.asarray(options.class_balance)
    if gold_rows:
        gold = stats.gold_votes[:, 1:, :] / gold_rows
        if balance is None:
            # Laplace-smoothed class frequencies of the gold rows: never a zero class.
            balance = (stats.gold_classes + 1) / (gold_rows + k)
    if balance is None:
        # Pairwise agreements cannot tell the class balance: for two classes,
        # Cov(LF i, LF j) = p(1-p)(a_i-b_i)(a_j-b_j) and E[LF i] = b_i + p(a_i-b_i) are met,
        # for any p, by some a, b (measured: the fitted loss is flat for p in 0.2..0.5 on data
        # drawn with p = 0.3). So, as Snorkel, uniform unless given or read off gold rows.
        balance = np.full(k, 1.0 / k)
    weight = options.gold_weight
    if weight is None:
        weight = gold_rows / n * m
    trusted = np.array([index[name] for name in options.trust], dtype=np.int64)
    trust = np.array([options.trust[name] for name in options.trust], dtype=np.float64)
    return _Problem(
        m=m,
        k=k,
        second=second,
        first=first,
        mask=mask,
        balance=balance,
        gold=gold,
        gold_weight=weight,
        trusted=trusted,
        trust=trust,
    )


def _objective(
    x: npt.NDArray[np.float64], problem: _Problem
) -> tuple[float, npt.NDArray[np.float64]]:
    """The loss and its gradient at ``x`` (μ flattened)."""
    m, k = problem.m, problem.k
    d = m * k
    mu = x.reshape(d, k)
    p = problem.balance
    residual = problem.mask * ((mu * p) @ mu.T - problem.second)
    error = mu @ p - problem.first
    sums = mu.reshape(m, k, k).sum(axis=1)
    excess = np.maximum(sums - 1.0, 0.0)
    loss = float((residual**2).sum() + (error**2).sum() + _PENALTY * (excess**2).sum())
    g_mu = 4.0 * (residual @ mu) * p + 2.0 * np.outer(error, p)
    g_mu += (2.0 * _PENALTY * excess)[:, None, :].repeat(k, axis=1).reshape(d, k)
    if problem.gold is not None and problem.gold_weight > 0:
        cube = mu.reshape(m, k, k)
        h = cube * p - problem.gold
        loss += problem.gold_weight * float((h**2).sum())
        g_mu += (2.0 * problem.gold_weight * h * p).reshape(d, k)
    if len(problem.trusted):
        # accuracy = right / voted; held by the linear constraint right - accuracy * voted = 0,
        # with ∂/∂μ[j, a, y] = p_y (1[a = y] - accuracy).
        cube = mu.reshape(m, k, k)[problem.trusted]
        right = np.einsum("jyy,y->j", cube, p)
        voted = np.einsum("jay,y->j", cube, p)
        t = right - problem.trust * voted
        loss += _TRUST_PENALTY * float((t**2).sum())
        slope = np.eye(k)[None, :, :] - problem.trust[:, None, None]
        g_cube = np.zeros((m, k, k))
        g_cube[problem.trusted] = 2.0 * _TRUST_PENALTY * t[:, None, None] * slope * p
        g_mu += g_cube.reshape(d, k)
    return loss, g_mu.ravel()


def _initial(problem: _Problem, accuracy: float) -> npt.NDArray[np.float64]:
    """μ with every LF right ``accuracy`` of the time it votes, matching the first moments."""
    m, k = problem.m, problem.k
    p = problem.balance
    if problem.gold is not None:
        # Gold rows give each LF's table directly (smoothed towards ``accuracy``): start there,
        # in the basin of the classes the gold labels name.
        default = _initial(replace(problem, gold=None), accuracy).reshape(m, k, k)
        observed = problem.gold / p
        return (0.8 * observed + 0.2 * default).reshape(m * k, k)
    share = problem.first.reshape(m, k)  # P(LF j votes a)
    mu = np.zeros((m, k, k))
    for a in range(k):
        right = np.clip(share[:, a] * accuracy / p[a], 0.0, 1.0)
        mu[:, a, a] = right
        wrong = np.clip((share[:, a] - p[a] * right) / max(1.0 - p[a], 1e-12), 0.0, 1.0)
        for y in range(k):
            if y != a:
                mu[:, a, y] = wrong
    return mu.reshape(m * k, k)


def _permutation(mu: npt.NDArray[np.float64], p: npt.NDArray[np.float64]) -> npt.NDArray[np.int64]:
    """The column order of μ that resolves the label-permutation symmetry (Snorkel's rule).

    Among permutations of classes of equal balance (the others change the fit), the one
    maximising sum_j sum_y P(LF j votes y, Y = y): the LFs are trusted to be better than
    random, on the whole.
    """
    k = mu.shape[2]
    score = (mu * p).sum(axis=0)  # score[a, y]: P(some LF votes a, Y = y), summed over LFs
    order = np.arange(k)
    groups: dict[float, list[int]] = {}
    for y, share in enumerate(p):
        groups.setdefault(round(float(share), 3), []).append(y)
    for members in groups.values():
        if len(members) > 1:
            _, columns = linear_sum_assignment(-score[np.ix_(members, members)])
            order[members] = np.asarray(members)[columns]
    return order


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class _Fitted:
    mu: npt.NDArray[np.float64]  # (m, k, k)
    balance: npt.NDArray[np.float64]
    loss: float
    iterations: int


def _solve(problem: _Problem, options: FitOptions) -> _Fitted:
    m, k = problem.m, problem.k
    start = np.clip(_initial(problem, options.initial_accuracy).ravel(), 0.0, 1.0)
    bounds = [(0.0, 1.0)] * start.size
    result = minimize(
        _objective,
        start,
        args=(problem,),
        jac=True,
        method="L-BFGS-B",
        bounds=bounds,
        options={"maxiter": 5000, "ftol": 1e-14, "gtol": 1e-11},
    )
    mu = result.x.reshape(m, k, k)
    p = problem.balance
    if problem.gold is None:
        # Gold rows fix which class is which (the fit starts from their tables); without
        # them, Snorkel's rule picks among the equally good permutations.
        mu = mu[:, :, _permutation(mu, p)]
    return _Fitted(
        mu=mu,
        balance=np.asarray(p, dtype=np.float64),
        loss=float(result.fun),
        iterations=int(result.nit),
    )


class LabelModel:
    """Snorkel's label model on numpy, with dependent LFs, gold anchors and trusted sources.

    Example::

        model = LabelModel(cardinality=2).fit(label_matrix)
        probs = model.predict_proba(label_matrix)     # (n, 2); the prior on uncovered rows
        labels = model.predict(label_matrix)          # -1 where no LF voted, or a tie
        model.save("model.json"); load_label_model("model.json")

    Args:
        cardinality: The number of classes.
    """

    def __init__(self, cardinality: int = 2) -> None:
        if not isinstance(cardinality, int) or isinstance(cardinality, bool) or cardinality < 2:
            raise OptionError(
                "needs at least 2 classes", parameter="cardinality", value=cardinality
            )
        self.cardinality = cardinality
        self.names: tuple[str, ...] = ()
        self.options = FitOptions()
        #: ``(m, k, k)``: P(LF j votes a | Y = y), after fitting
        self.mu: npt.NDArray[np.float64] | None = None
        #: P(Y = y)
        self.class_balance: npt.NDArray[np.float64] | None = None
        #: the LF pairs found (or given) to depend on each other
        self.dependencies: tuple[Dependency, ...] = ()
        #: groups of dependent LFs, each modelled as one source
        self.groups: tuple[tuple[str, ...], ...] = ()
        #: standard errors of :meth:`accuracies` (parametric bootstrap), when estimated
        self.accuracy_se: npt.NDArray[np.float64] | None = None
        self.num_rows = 0
        self.loss = math.nan
        self._eps = 0.01

    # -- fitting ---------------------------------------------------------------------------

    def fit(
        self,
        votes: object,
        y: npt.ArrayLike | None = None,
        *,
        names: Sequence[str] | None = None,
        class_balance: Sequence[float] | None = None,
        trust: Mapping[str, float] | None = None,
        dependencies: Sequence[Sequence[str]] = (),
        detect_dependencies: bool = True,
        bootstrap: int = 0,
        seed: int = 0,
        **options: Any,
    ) -> LabelModel:
        """Fit the model to a label matrix; returns ``self``.

        Args:
            votes: A :class:`LabelMatrix`, an Arrow table of vote columns, or an ``(n, m)``
                array (-1 abstain).
            y: Gold labels for some rows (-1 or None elsewhere): anchors the fit.
            names: The LF names of an array's columns (or the table columns to use).
            class_balance: P(class); by default read off gold rows, else uniform.
            trust: A fixed accuracy per LF name, for sources whose quality is known.
            dependencies: Groups of LF names known to depend on each other.
            detect_dependencies: Find dependent LFs in the data too.
            bootstrap: Refits for the accuracies' standard errors (0: none).
            seed: The seed of the bootstrap.
            **options: Other :class:`FitOptions` fields (``gold_weight``,
                ``dependency_threshold``, ``initial_accuracy``).

        Raises:
            InputError: A vote outside ``-1..k-1`` (naming the LF, row and value).
            OptionError: A bad option: unknown LF name, class balance that is not a
                distribution, a gold label that is not a class.
        """
        matrix, labels = vote_matrix(votes, names, self.cardinality)
        gold = None
        if y is not None:
            gold = gold_labels(y)
            if len(gold) != len(matrix):
                raise OptionError(
                    f"{len(gold)} gold labels for {len(matrix)} rows; give one per row "
                    "(-1 unknown)",
                    parameter="y",
                    value=f"{len(gold)} labels",
                )
        generator = AgreementGenerator(labels, self.cardinality)
        acc = generator.create_accumulator()
        add_votes(acc, matrix, self.cardinality, gold)
        fit_options = self._options(
            labels,
            class_balance=class_balance,
            trust=trust,
            dependencies=dependencies,
            detect_dependencies=detect_dependencies,
            bootstrap=bootstrap,
            seed=seed,
            **options,
        )
        return self.fit_statistics(generator.extract_output(acc), fit_options)

    def _options(
        self,
        names: Sequence[str],
        *,
        class_balance: Sequence[float] | None,
        trust: Mapping[str, float] | None,
        dependencies: Sequence[Sequence[str]],
        detect_dependencies: bool,
        bootstrap: int,
        seed: int,
        **options: Any,
    ) -> FitOptions:
        known = set(FitOptions.__dataclass_fields__) - {
            "class_balance",
            "trust",
            "dependencies",
            "detect_dependencies",
            "bootstrap",
            "seed",
        }
        for key in options:
            if key not in known:
                raise OptionError(
                    f"not a fit option; the options are: {', '.join(sorted(known))}",
                    parameter=key,
                    value=options[key],
                )
        return FitOptions(
            class_balance=None if class_balance is None else tuple(float(v) for v in class_balance),
            trust=dict(trust or {}),
            dependencies=tuple(tuple(g) for g in dependencies),
            detect_dependencies=detect_dependencies,
            bootstrap=bootstrap,
            seed=seed,
            **options,
        )

    def _check(self, stats: AgreementStatistics, options: FitOptions) -> None:
        k = self.cardinality
        if stats.cardinality != k:
            raise OptionError(
                f"statistics of {stats.cardinality} classes for a model of {k}",
                parameter="cardinality",
                value=k,
            )
        if len(stats.names) < 3:
            raise OptionError(
                "a label model needs at least 3 labeling functions (their agreements are "
                "what it learns from); use MajorityVote for fewer",
                parameter="lfs",
                value=list(stats.names),
            )
        if stats.num_rows == 0:
            raise InputError("no rows to fit a label model on", parameter="votes", value=0)
        balance = options.class_balance
        if balance is not None and (
            len(balance) != k
            or any(not math.isfinite(v) or v <= 0 for v in balance)
            or abs(sum(balance) - 1.0) > 1e-6
        ):
            raise OptionError(
                f"a class balance is {k} positive numbers summing to 1",
                parameter="class_balance",
                value=list(balance),
            )
        known = set(stats.names)
        for name, accuracy in options.trust.items():
            if name not in known:
                raise OptionError(
                    f"no such labeling function; the LFs are: {', '.join(stats.names)}",
                    parameter="trust",
                    value=name,
                )
            if not 0.0 < accuracy <= 1.0:
                raise OptionError(
                    f"an accuracy is in (0, 1], not {accuracy}", parameter="trust", value=name
                )
        for group in options.dependencies:
            for name in group:
                if name not in known:
                    raise OptionError(
                        f"no such labeling function; the LFs are: {', '.join(stats.names)}",
                        parameter="dependencies",
                        value=name,
                    )
        if options.bootstrap < 0:
            raise OptionError(
                "a number of refits, 0 or more", parameter="bootstrap", value=options.bootstrap
            )

    def fit_statistics(
        self, stats: AgreementStatistics, options: FitOptions | None = None
    ) -> LabelModel:
        """Fit from sufficient statistics (what ``FitLabelModel`` combines on Beam).

        Raises:
            OptionError: See :meth:`fit`.
        """
        options = options or FitOptions()
        self._check(stats, options)
        found: tuple[Dependency, ...] = ()
        if options.detect_dependencies:
            found = find_dependencies(stats, threshold=options.dependency_threshold)
        given = tuple(
            Dependency(lfs=(a, b), score=math.nan, overlap=0)
            for group in options.dependencies
            for a, b in itertools.combinations(group, 2)
        )
        groups = group_dependencies(stats.names, found + given)
        groups = _identifiable(groups, len(stats.names))
        problem = _problem(stats, options, groups)
        fitted = _solve(problem, options)
        self.names = stats.names
        self.options = options
        self.mu = fitted.mu
        self.class_balance = fitted.balance
        self.dependencies = found + given
        self.groups = groups
        self.num_rows = stats.num_rows
        self.loss = fitted.loss
        self._eps = _clamp_eps(stats.num_rows)
        self.accuracy_se = None
        if options.bootstrap:
            self.accuracy_se = self._bootstrap(stats, options, groups)
        return self

    def _bootstrap(
        self,
        stats: AgreementStatistics,
        options: FitOptions,
        groups: tuple[tuple[str, ...], ...],
    ) -> npt.NDArray[np.float64]:
        """Standard errors of the accuracies: refits on data simulated from the fitted model.

        Each replicate draws ``min(n, 20,000)`` rows (gold labels on the same share of rows
        as the data), and the spread is scaled to ``n`` rows by ``sqrt(rows / n)``.
        """
        assert self.mu is not None and self.class_balance is not None
        rng = np.random.default_rng(options.seed)
        rows = min(stats.num_rows, 20_000)
        gold_share = stats.gold_rows / max(stats.num_rows, 1)
        estimates = []
        for _ in range(options.bootstrap):
            votes, y = _simulate(self.mu, self.class_balance, rows, rng)
            gold = np.where(rng.random(rows) < gold_share, y, -1) if gold_share else None
            generator_stats = agreement_statistics(
                votes, self.cardinality, y=gold, names=stats.names
            )
            problem = _problem(generator_stats, options, groups)
            fitted = _solve(problem, options)
            estimates.append(_accuracies(fitted.mu, fitted.balance))
        spread = np.std(np.asarray(estimates), axis=0, ddof=1)
        return np.asarray(spread * math.sqrt(rows / max(stats.num_rows, 1)), dtype=np.float64)

    # -- what was learned ------------------------------------------------------------------

    def _fitted(self) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
        if self.mu is None or self.class_balance is None:
            raise OptionError("fit the label model first (fit or load_label_model)")
        return self.mu, self.class_balance

    def accuracies(self) -> npt.NDArray[np.float64]:
        """P(an LF's vote is right | it votes), per LF (Snorkel's ``get_weights``)."""
        mu, p = self._fitted()
        return _accuracies(mu, p)

    def conditional_probs(self) -> npt.NDArray[np.float64]:
        """``(m, k+1, k)``: P(LF j votes a | Y = y), row 0 the abstain (Snorkel's layout)."""
        mu, _ = self._fitted()
        clamped = np.clip(mu, self._eps, 1 - self._eps)
        abstain = np.clip(1.0 - clamped.sum(axis=1, keepdims=True), 0.0, 1.0)
        return np.concatenate([abstain, clamped], axis=1)

    def weights(self) -> npt.NDArray[np.float64]:
        """Each LF's weight in the prediction: 1 for an independent LF, ``1 / (1 + Σ rho)``
        for one with dependent pairs of excess agreement rho (1/g each in a family of g
        copies; see :func:`dependency_weights`)."""
        return dependency_weights(self.names, self.dependencies)

    def annotate(self, summary: LFSummary) -> LFSummary:
        """``summary`` with this model's learned accuracies, groups and class balance."""
        _, p = self._fitted()
        accuracy = self.accuracies()
        index = {name: j for j, name in enumerate(self.names)}
        missing = [s.name for s in summary.lfs if s.name not in index]
        if missing:
            raise OptionError(
                "the model was not fitted on this LF", parameter="model", value=missing[0]
            )
        se = self.accuracy_se
        return replace(
            summary,
            lfs=tuple(
                replace(
                    s,
                    learned_accuracy=float(accuracy[index[s.name]]),
                    learned_accuracy_se=None if se is None else float(se[index[s.name]]),
                )
                for s in summary.lfs
            ),
            dependent_groups=self.groups,
            class_balance=tuple(float(v) for v in p),
        )

    # -- prediction ------------------------------------------------------------------------

    def _log_table(self) -> npt.NDArray[np.float64]:
        """``(m, k+1, k)`` weighted log P(vote | class); abstains contribute nothing."""
        mu, _ = self._fitted()
        table = np.zeros((len(self.names), self.cardinality + 1, self.cardinality))
        table[:, 1:, :] = np.log(np.clip(mu, self._eps, 1 - self._eps))
        return table * self.weights()[:, None, None]

    def predict_proba(
        self, votes: object, *, names: Sequence[str] | None = None
    ) -> npt.NDArray[np.float64]:
        """``(n, k)`` P(class | votes); rows no LF voted on get the class balance.

        Raises:
            OptionError: The votes' LFs are not the model's.
            InputError: A vote outside ``-1..k-1``.
        """
        matrix = self._votes(votes, names)
        _, p = self._fitted()
        table = self._log_table()
        scores = np.broadcast_to(np.log(p), (len(matrix), self.cardinality)).copy()
        for j in range(matrix.shape[1]):
            scores += table[j][matrix[:, j] + 1]
        scores -= scores.max(axis=1, keepdims=True)
        probs = np.exp(scores)
        result: npt.NDArray[np.float64] = probs / probs.sum(axis=1, keepdims=True)
        return result

    def _votes(self, votes: object, names: Sequence[str] | None) -> npt.NDArray[np.int16]:
        self._fitted()
        if names is None and not isinstance(votes, np.ndarray | list):
            names = self.names
        matrix, labels = vote_matrix(votes, names, self.cardinality)
        if names is None:
            labels = self.names if matrix.shape[1] == len(self.names) else labels
        if tuple(labels) != self.names:
            raise OptionError(
                f"the model was fitted on LFs {', '.join(self.names)}",
                parameter="votes",
                value=", ".join(labels),
            )
        return matrix

    def predict(
        self,
        votes: object,
        *,
        names: Sequence[str] | None = None,
        tie_break_policy: str = "abstain",
    ) -> npt.NDArray[np.int64]:
        """The most probable class per row; -1 where no LF voted, or on a tie (by default).

        Args:
            votes: The label matrix.
            names: As in :meth:`predict_proba`.
            tie_break_policy: ``"abstain"`` (-1 on ties) or ``"random"`` (one of the tied
                classes, seeded by the fit's seed).
        """
        matrix = self._votes(votes, names)
        probs = self.predict_proba(matrix, names=self.names)
        covered = (matrix != -1).any(axis=1)
        return probs_to_preds(probs, covered, tie_break_policy, self.options.seed)

    def score(
        self, votes: object, y: npt.ArrayLike, *, tie_break_policy: str = "abstain"
    ) -> dict[str, float]:
        """Accuracy on rows with a gold label, and coverage of them (Snorkel's ``score``).

        Rows the model abstains on count as wrong in ``accuracy``; ``accuracy_covered`` is
        the accuracy on rows it labels.
        """
        return score_predictions(self.predict(votes, tie_break_policy=tie_break_policy), y)

    # -- files -----------------------------------------------------------------------------

    def to_dict(self) -> dict[str, Any]:
        """The fitted model as a JSON object (no pickle)."""
        mu, p = self._fitted()
        return {
            "format": LABEL_MODEL_FORMAT,
            "format_version": _FORMAT_VERSION,
            "kind": "label",
            "cardinality": self.cardinality,
            "lfs": list(self.names),
            "class_balance": [float(v) for v in p],
            "mu": mu.tolist(),
            "groups": [list(g) for g in self.groups],
            "dependencies": [
                {
                    "lfs": list(d.lfs),
                    "score": None if math.isnan(d.score) else d.score,
                    "overlap": d.overlap,
                    "excess": d.excess,
                }
                for d in self.dependencies
            ],
            "accuracy_se": None if self.accuracy_se is None else self.accuracy_se.tolist(),
            "num_rows": self.num_rows,
            "loss": self.loss,
            "seed": self.options.seed,
            "trust": dict(self.options.trust),
        }

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the fitted model as JSON, atomically."""
        write_json_atomic(path, self.to_dict())

    @classmethod
    def from_dict(cls, document: Mapping[str, Any], source: str = "the document") -> LabelModel:
        """The model a :meth:`to_dict` document describes.

        Raises:
            InputError: Not a label model document, or a field is malformed.
        """
        try:
            if document.get("format") != LABEL_MODEL_FORMAT or document.get("kind") != "label":
                raise ValueError(f"not a label model (format {document.get('format')!r})")
            if document.get("format_version") != _FORMAT_VERSION:
                raise ValueError(f"format_version {document.get('format_version')!r} is not 1")
            model = cls(int(document["cardinality"]))
            k = model.cardinality
            model.names = tuple(str(n) for n in document["lfs"])
            mu = np.asarray(document["mu"], dtype=np.float64)
            if mu.shape != (len(model.names), k, k):
                raise ValueError(f"mu has shape {mu.shape}, not {(len(model.names), k, k)}")
            balance = np.asarray(document["class_balance"], dtype=np.float64)
            if balance.shape != (k,):
                raise ValueError(f"class_balance has {balance.size} entries, not {k}")
            model.mu, model.class_balance = mu, balance
            model.groups = tuple(tuple(str(n) for n in g) for g in document.get("groups", []))
            model.dependencies = tuple(
                Dependency(
                    lfs=(str(d["lfs"][0]), str(d["lfs"][1])),
                    score=math.nan if d.get("score") is None else float(d["score"]),
                    overlap=int(d.get("overlap", 0)),
                    excess=float(d.get("excess", 1.0)),
                )
                for d in document.get("dependencies", [])
            )
            se = document.get("accuracy_se")
            model.accuracy_se = None if se is None else np.asarray(se, dtype=np.float64)
            model.num_rows = int(document.get("num_rows", 0))
            model.loss = float(document.get("loss", math.nan))
            model.options = FitOptions(
                seed=int(document.get("seed", 0)), trust=dict(document.get("trust", {}))
            )
            model._eps = _clamp_eps(model.num_rows)
        except (KeyError, TypeError, ValueError) as error:
            detail = f"missing field {error}" if isinstance(error, KeyError) else str(error)
            raise InputError(f"{source}: not a valid label model: {detail}") from None
        return model


def _accuracies(mu: npt.NDArray[np.float64], p: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    k = mu.shape[2]
    right = np.einsum("jyy,y->j", mu, p)
    voted = np.einsum("jay,y->j", mu, p)
    with np.errstate(divide="ignore", invalid="ignore"):
        accuracy = np.where(voted > 0, right / voted, 1.0 / k)
    return np.asarray(np.clip(accuracy, 0.0, 1.0), dtype=np.float64)


def _identifiable(groups: tuple[tuple[str, ...], ...], m: int) -> tuple[tuple[str, ...], ...]:
    """Groups that leave each member at least two LFs outside to learn from; larger ones
    cannot be masked (nothing would be left to fit them from), so they are dropped."""
    return tuple(g for g in groups if m - len(g) >= 2)


def _simulate(
    mu: npt.NDArray[np.float64], p: npt.NDArray[np.float64], rows: int, rng: np.random.Generator
) -> tuple[npt.NDArray[np.int16], npt.NDArray[np.int64]]:
    """Rows drawn from the model: classes from ``p``, each LF's vote from ``μ[:, :, y]``."""
    m, k, _ = mu.shape
    y = rng.choice(k, size=rows, p=p / p.sum())
    full = np.concatenate([np.clip(1.0 - mu.sum(axis=1, keepdims=True), 0, 1), mu], axis=1)
    full = full / full.sum(axis=1, keepdims=True)
    cumulative = np.cumsum(full, axis=1)  # (m, k+1, k)
    draws = rng.random((rows, m))
    thresholds = cumulative[:, :, y].transpose(2, 0, 1)  # (rows, m, k+1)
    votes = (draws[:, :, None] > thresholds).sum(axis=2) - 1
    return np.minimum(votes, k - 1).astype(np.int16), y


def probs_to_preds(
    probs: npt.NDArray[np.float64],
    covered: npt.NDArray[np.bool_],
    policy: str,
    seed: int,
) -> npt.NDArray[np.int64]:
    """Hard labels from probabilities: -1 on uncovered rows, ties by ``policy``.

    Raises:
        OptionError: An unknown policy.
    """
    if policy not in ("abstain", "random"):
        raise OptionError("use 'abstain' or 'random'", parameter="tie_break_policy", value=policy)
    top = probs.max(axis=1, keepdims=True)
    tied = np.abs(probs - top) < _TIE
    count = tied.sum(axis=1)
    preds = np.argmax(tied, axis=1).astype(np.int64)
    several = count > 1
    if policy == "abstain":
        preds[several] = -1
    elif several.any():
        rng = np.random.default_rng(seed)
        pick = (rng.random(int(several.sum())) * count[several]).astype(np.int64)
        rows = tied[several]
        preds[several] = np.argmax(np.cumsum(rows, axis=1) > pick[:, None], axis=1)
    preds[~covered] = -1
    result: npt.NDArray[np.int64] = preds
    return result


def score_predictions(preds: npt.NDArray[np.int64], y: npt.ArrayLike) -> dict[str, float]:
    """Accuracy (abstains count as wrong), coverage and accuracy on covered gold rows."""
    gold = gold_labels(y)
    if len(gold) != len(preds):
        raise OptionError(
            f"{len(gold)} gold labels for {len(preds)} rows", parameter="y", value=len(gold)
        )
    known = gold >= 0
    labelled = known & (preds >= 0)
    right = (preds == gold) & known
    total = max(int(known.sum()), 1)
    return {
        "accuracy": float(right.sum() / total),
        "coverage": float(labelled.sum() / total),
        "accuracy_covered": float(right.sum() / max(int(labelled.sum()), 1)),
    }


def load_label_model(path: str | os.PathLike[str]) -> LabelModel:
    """Read a label model saved with :meth:`LabelModel.save`.

    Raises:
        InputNotFoundError: No such file.
        InputError: The file is not a label model document.
    """
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputNotFoundError(f"{path}: no such label model file", path=path) from None
    try:
        document = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError(f"{path}: not JSON ({error})", path=path) from None
    if not isinstance(document, dict):
        raise InputError(f"{path}: not a label model document", path=path)
    return LabelModel.from_dict(document, os.fspath(path))
