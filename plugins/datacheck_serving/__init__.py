"""Incremental CNN inference (Krypton) for occlusion maps and camera frames (``[serving]``).

Many inferences over nearly identical images (a grey patch slid over an image to explain a
prediction; frames of a fixed camera) share most of their work. :class:`IncrementalModel`
keeps a base image's activations and recomputes only the region each change reaches, layer by
layer, batched over the queries, returning what full inference returns (Nakandala, Kumar and
Papakonstantinou, *Incremental and Approximate Inference for Faster Occlusion-based Deep CNN
Explanations*, SIGMOD 2019)::

    from datacheck_serving import IncrementalModel, occlusion_map

    engine = IncrementalModel(cnn.eval(), (3, 224, 224))
    heat = occlusion_map(engine, image, patch=16, stride=8)        # exact
    fast = occlusion_map(engine, image, 16, 8, tau=0.7, coarse_stride=16)  # approximate
    print(heat.macs.ratio, ssim(heat.heat, fast.heat))

``frames`` runs a camera's frames against a base frame; ``datacheck occlude`` writes a heat
map PNG; :mod:`datacheck_serving.beam` has the RunInference model handler.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from datacheck.plugin import lazy_exports

# Imported on first use (PEP 562): ``datacheck --help`` imports ``datacheck_serving.plugin``
# and must not pay for torch.
if TYPE_CHECKING:
    from datacheck_serving._frames import FrameResults, changed_boxes, frames
    from datacheck_serving._graph import UnsupportedLayerError
    from datacheck_serving._heatmap import save_heatmap
    from datacheck_serving._incremental import BaseActivations, IncrementalModel, MacCount, Update
    from datacheck_serving._networks import he_scaled, resnet18_like, vgg16_like
    from datacheck_serving._occlusion import OcclusionMap, occlusion_map, positions, ssim

#: the module each public name lives in
_WHERE = {
    "BaseActivations": "datacheck_serving._incremental",
    "FrameResults": "datacheck_serving._frames",
    "IncrementalModel": "datacheck_serving._incremental",
    "MacCount": "datacheck_serving._incremental",
    "OcclusionMap": "datacheck_serving._occlusion",
    "UnsupportedLayerError": "datacheck_serving._graph",
    "Update": "datacheck_serving._incremental",
    "changed_boxes": "datacheck_serving._frames",
    "frames": "datacheck_serving._frames",
    "he_scaled": "datacheck_serving._networks",
    "occlusion_map": "datacheck_serving._occlusion",
    "positions": "datacheck_serving._occlusion",
    "resnet18_like": "datacheck_serving._networks",
    "save_heatmap": "datacheck_serving._heatmap",
    "ssim": "datacheck_serving._occlusion",
    "vgg16_like": "datacheck_serving._networks",
}


__getattr__, __dir__ = lazy_exports(__name__, _WHERE)


__all__ = [
    "BaseActivations",
    "FrameResults",
    "IncrementalModel",
    "MacCount",
    "OcclusionMap",
    "UnsupportedLayerError",
    "Update",
    "changed_boxes",
    "frames",
    "he_scaled",
    "occlusion_map",
    "positions",
    "resnet18_like",
    "save_heatmap",
    "ssim",
    "vgg16_like",
]
