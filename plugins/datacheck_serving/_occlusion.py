"""Occlusion maps: slide a grey patch over an image and record the class score at each place.

Every position is one query against the same base image, so the whole map is one
:meth:`IncrementalModel.update` call. Positions step by ``stride`` from the top-left corner,
and a last row and column of positions sits flush with the bottom and right borders when the
stride does not land there, so every pixel is covered.

Adaptive drill-down (Krypton): compute the map at a coarse stride first, then at the fine
stride only where the coarse map changes most (the top ``drill_fraction`` of fine positions,
by the range of the coarse scores around them, or by interpolated score drop); the other fine
positions keep the coarse map's interpolated values.
With ``tau`` it is Krypton's approximate mode; :func:`ssim` measures the map against the exact
one, the paper's quality measure.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import torch
from torch import nn

from datacheck.errors import OptionError
from datacheck_serving._incremental import IncrementalModel, MacCount

__all__ = ["OcclusionMap", "occlusion_map", "positions", "ssim"]

#: a float map
Floats = npt.NDArray[np.float64]


@dataclass(frozen=True, slots=True, kw_only=True)
class OcclusionMap:
    """The target's score with the patch at each position (a grid of patch positions)."""

    #: the score with the patch's top-left corner at ``(rows[i], cols[j])``, shape
    #: ``(len(rows), len(cols))``
    scores: Floats
    #: the patch positions' top rows
    rows: tuple[int, ...]
    #: the patch positions' left columns
    cols: tuple[int, ...]
    #: the patch's height and width
    patch: tuple[int, int]
    #: the class scored
    target: int
    #: the score of the unoccluded image
    base_score: float
    #: which positions were computed (False: interpolated by drill-down)
    computed: npt.NDArray[np.bool_]
    #: multiply-accumulates done, against full inference at every position
    macs: MacCount

    @property
    def heat(self) -> Floats:
        """How much occluding each position lowers the score (``base_score - scores``)."""
        return self.base_score - self.scores

    def pixel_heat(self, height: int, width: int) -> Floats:
        """Heat per pixel: the mean heat of the patch positions that cover it."""
        total = np.zeros((height, width))
        count = np.zeros((height, width))
        heat = self.heat
        for i, row in enumerate(self.rows):
            for j, col in enumerate(self.cols):
                total[row : row + self.patch[0], col : col + self.patch[1]] += heat[i, j]
                count[row : row + self.patch[0], col : col + self.patch[1]] += 1
        return np.divide(total, count, out=np.zeros_like(total), where=count > 0)


def positions(size: int, patch: int, stride: int) -> tuple[int, ...]:
    """Patch starts along one axis: every ``stride``, plus one flush with the far border."""
    starts = list(range(0, size - patch + 1, stride))
    if starts[-1] != size - patch:
        starts.append(size - patch)
    return tuple(starts)


def _checked(
    model: nn.Module | IncrementalModel,
    image: torch.Tensor,
    patch: int | tuple[int, int],
    stride: int,
) -> tuple[IncrementalModel, torch.Tensor, tuple[int, int]]:
    image = torch.as_tensor(image)
    if image.dim() != 3:
        raise OptionError(
            f"give one image (channels, height, width); got shape {tuple(image.shape)}",
            parameter="image",
            value=tuple(image.shape),
        )
    size = (patch, patch) if isinstance(patch, int) else (int(patch[0]), int(patch[1]))
    height, width = int(image.shape[1]), int(image.shape[2])
    if min(size) < 1 or size[0] > height or size[1] > width:
        raise OptionError(
            f"the patch must fit in the {height}x{width} image", parameter="patch", value=patch
        )
    if stride < 1:
        raise OptionError("must be at least 1", parameter="stride", value=stride)
    engine = (
        model
        if isinstance(model, IncrementalModel)
        else IncrementalModel(model, tuple(image.shape))
    )
    return engine, image, size


def _scores(outputs: torch.Tensor, target: int, probability: bool) -> Floats:
    flat = outputs.reshape(len(outputs), -1).double()
    if probability:
        flat = torch.softmax(flat, dim=1)
    return flat[:, target].numpy()


def _interpolate(
    coarse: Floats,
    rows: tuple[int, ...],
    cols: tuple[int, ...],
    fine_rows: tuple[int, ...],
    fine_cols: tuple[int, ...],
) -> Floats:
    across = np.stack([np.interp(fine_cols, cols, line) for line in coarse])
    return np.stack([np.interp(fine_rows, rows, column) for column in across.T], axis=1)


def _cell_change(
    coarse: Floats,
    rows: tuple[int, ...],
    cols: tuple[int, ...],
    fine_rows: tuple[int, ...],
    fine_cols: tuple[int, ...],
) -> Floats:
    """For each fine position, the range (max - min) of the coarse scores at the corners of
    the coarse cell it lies in: how far interpolation inside the cell may be from the truth."""
    r1 = np.clip(np.searchsorted(rows, fine_rows), 1, len(rows) - 1) if len(rows) > 1 else None
    c1 = np.clip(np.searchsorted(cols, fine_cols), 1, len(cols) - 1) if len(cols) > 1 else None
    r_index = [np.zeros(len(fine_rows), dtype=np.int64)] if r1 is None else [r1 - 1, r1]
    c_index = [np.zeros(len(fine_cols), dtype=np.int64)] if c1 is None else [c1 - 1, c1]
    corners = np.stack([coarse[np.ix_(r, c)] for r in r_index for c in c_index])
    change: Floats = corners.max(axis=0) - corners.min(axis=0)
    return change


def occlusion_map(
    model: nn.Module | IncrementalModel,
    image: torch.Tensor,
    patch: int | tuple[int, int] = 16,
    stride: int = 8,
    *,
    target: int | None = None,
    fill: float = 0.0,
    probability: bool = True,
    tau: float | None = None,
    coarse_stride: int | None = None,
    drill_fraction: float = 0.25,
    drill_by: str = "change",
) -> OcclusionMap:
    """The occlusion map of ``image`` under ``model``, by incremental inference.

    Args:
        model: A CNN in eval mode, or an :class:`IncrementalModel` prepared for the image shape.
        image: ``(C, H, W)``, as the model takes it.
        patch: The occluding square's side, or ``(height, width)``.
        stride: Pixels between patch positions.
        target: The class scored; by default the class the model gives the image.
        fill: The patch's value (0: grey for inputs normalized to mean 0).
        probability: Score the softmax probability (True) or the raw output.
        tau: Krypton's projective-field threshold in (0, 1] (approximate); None is exact.
        coarse_stride: Adaptive drill-down: first this stride, then ``stride`` only at the
            ``drill_fraction`` of positions where the coarse map drops the score most.
        drill_fraction: The share of fine positions computed under drill-down.
        drill_by: Which fine positions drill-down computes: ``"change"``, those in the coarse
            cells whose four corner scores differ most (where interpolating is least safe:
            the map's edges and peaks), or ``"drop"``, those whose interpolated score drop is
            largest (the most salient places).

    Raises:
        OptionError: The image does not have the model's shape, the patch does not fit in it,
            or a stride, ``tau`` or ``drill_fraction`` is out of range.
        UnsupportedLayerError: ``model`` has a layer the engine cannot run incrementally.
    """
    engine, image, size = _checked(model, image, patch, stride)
    base = engine.materialize(image)
    if target is None:
        target = int(base.output.reshape(-1).argmax())
    base_score = float(_scores(base.output, target, probability)[0])
    height, width = int(image.shape[1]), int(image.shape[2])
    rows, cols = positions(height, size[0], stride), positions(width, size[1], stride)

    def run(where: list[tuple[int, int]]) -> tuple[Floats, MacCount]:
        patches = torch.full((len(where), image.shape[0], *size), fill, dtype=engine.dtype)
        update = engine.update(base, patches, where, tau=tau)
        return _scores(update.outputs, target, probability), update.macs

    if coarse_stride is None:
        grid = [(r, c) for r in rows for c in cols]
        values, macs = run(grid)
        return OcclusionMap(
            scores=values.reshape(len(rows), len(cols)),
            rows=rows,
            cols=cols,
            patch=size,
            target=target,
            base_score=base_score,
            computed=np.ones((len(rows), len(cols)), dtype=bool),
            macs=macs,
        )
    if coarse_stride < stride:
        raise OptionError(
            f"must be at least stride={stride}", parameter="coarse_stride", value=coarse_stride
        )
    if not 0 <= drill_fraction <= 1:
        raise OptionError("must be in [0, 1]", parameter="drill_fraction", value=drill_fraction)
    if drill_by not in ("change", "drop"):
        raise OptionError("'change' or 'drop'", parameter="drill_by", value=drill_by)
    coarse_rows = positions(height, size[0], coarse_stride)
    coarse_cols = positions(width, size[1], coarse_stride)
    coarse, macs = run([(r, c) for r in coarse_rows for c in coarse_cols])
    coarse = coarse.reshape(len(coarse_rows), len(coarse_cols))
    scores = _interpolate(coarse, coarse_rows, coarse_cols, rows, cols)
    computed = np.zeros(scores.shape, dtype=bool)
    row_index = {r: i for i, r in enumerate(rows)}
    col_index = {c: j for j, c in enumerate(cols)}
    for i, r in enumerate(coarse_rows):
        for j, c in enumerate(coarse_cols):
            if r in row_index and c in col_index:
                scores[row_index[r], col_index[c]] = coarse[i, j]
                computed[row_index[r], col_index[c]] = True
    wanted = round(drill_fraction * scores.size)
    if drill_by == "change":
        priority = _cell_change(coarse, coarse_rows, coarse_cols, rows, cols)
    else:
        priority = base_score - scores
    drop = np.where(computed, -np.inf, priority).ravel()
    chosen = np.argsort(-drop, kind="stable")[:wanted]
    chosen = chosen[np.isfinite(drop[chosen])]
    if len(chosen):
        where = [(rows[k // len(cols)], cols[k % len(cols)]) for k in chosen]
        fine, more = run(where)
        scores.ravel()[chosen] = fine
        computed.ravel()[chosen] = True
        macs += more
    # MACs are counted against full inference at every fine position, as the user asked for
    macs = MacCount(done=macs.done, full=engine.full_macs * scores.size)
    return OcclusionMap(
        scores=scores,
        rows=rows,
        cols=cols,
        patch=size,
        target=target,
        base_score=base_score,
        computed=computed,
        macs=macs,
    )


def ssim(reference: npt.ArrayLike, other: npt.ArrayLike, *, window: int = 7) -> float:
    """Structural similarity of two maps (Wang et al. 2004; uniform window, as scikit-image's
    default), with the reference's range as the data range; 1 for identical maps."""
    a = torch.as_tensor(np.asarray(reference, dtype=np.float64))[None, None]
    b = torch.as_tensor(np.asarray(other, dtype=np.float64))[None, None]
    if a.shape != b.shape:
        raise OptionError(
            f"maps of shapes {tuple(a.shape[2:])} and {tuple(b.shape[2:])}",
            parameter="other",
            value=tuple(b.shape[2:]),
        )
    size = min(window, a.shape[2], a.shape[3])
    span = float(a.max() - a.min()) or 1.0
    c1, c2 = (0.01 * span) ** 2, (0.03 * span) ** 2
    pool = torch.nn.functional.avg_pool2d
    mean_a, mean_b = pool(a, size, 1), pool(b, size, 1)
    n = size * size
    correct = n / (n - 1) if n > 1 else 1.0
    var_a = (pool(a * a, size, 1) - mean_a**2) * correct
    var_b = (pool(b * b, size, 1) - mean_b**2) * correct
    cov = (pool(a * b, size, 1) - mean_a * mean_b) * correct
    index = ((2 * mean_a * mean_b + c1) * (2 * cov + c2)) / (
        (mean_a**2 + mean_b**2 + c1) * (var_a + var_b + c2)
    )
    return float(index.mean())
