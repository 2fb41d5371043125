"""Laws: incremental equals full inference for random small CNNs and patch positions."""

from __future__ import annotations

import torch
from hypothesis import given, settings
from serving_nets import sensitive
from serving_strategies import Case, cases

from datacheck_serving import IncrementalModel


@settings(max_examples=40, deadline=None)
@given(cases())
def test_incremental_equals_full_for_random_cnns(case: Case) -> None:
    model = sensitive(case.model, seed=7)
    engine = IncrementalModel(model, case.shape)
    image = torch.randn(case.shape, dtype=torch.float64)
    patch = torch.randn((1, case.shape[0], *case.patch), dtype=torch.float64)
    update = engine.update(engine.materialize(image), patch, [case.origin])
    patched = image.clone()
    (row, col), (h, w) = case.origin, case.patch
    patched[:, row : row + h, col : col + w] = patch[0]
    reference = model(patched[None]).detach()
    assert torch.allclose(
        update.outputs, reference, rtol=0, atol=1e-12 * max(1.0, float(reference.abs().max()))
    )
    assert (
        update.macs.done <= update.macs.full + engine.full_macs
    )  # never more than full, bar the head


@settings(max_examples=20, deadline=None)
@given(cases())
def test_tau_one_is_exact_and_smaller_tau_never_costs_more(case: Case) -> None:
    engine = IncrementalModel(sensitive(case.model, seed=8), case.shape)
    base = engine.materialize(torch.randn(case.shape, dtype=torch.float64))
    patch = torch.zeros((1, case.shape[0], *case.patch), dtype=torch.float64)
    exact = engine.update(base, patch, [case.origin])
    assert torch.equal(engine.update(base, patch, [case.origin], tau=1.0).outputs, exact.outputs)
    assert engine.update(base, patch, [case.origin], tau=0.3).macs.done <= exact.macs.done
