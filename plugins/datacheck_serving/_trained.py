"""ResNet-18- and VGG-16-shaped networks trained on real photos that PyPI packages ship.

No pretrained weights can be downloaded here, so the benchmark trains its own: the task is to
tell which of eight photos a random crop comes from (scikit-image's ``astronaut``, ``coffee``,
``chelsea``, ``rocket``, ``motorcycle_left`` and ``hubble_deep_field``, scikit-learn's
``china.jpg`` and ``flower.jpg``), each photo resized so that its shorter side is 224 pixels,
crops flipped at random and their brightness and contrast jittered. The convolutional layers do
not depend on the input size (an adaptive average pool sits before the head), so training runs
on small crops (32x32: VGG-16 costs 15.5 GMAC per 224x224 image, and the shared 2-core machine
this was built on trained ResNet-18 for 40 steps of 16 crops in 12 minutes) and occlusion maps
run on 224x224 images (:func:`square_photo`) at the same scale. Training is seeded and bounded
in steps; :func:`trained_network` loads the weights from a safetensors file when it exists and
trains and writes them (atomically) otherwise. These are small budgets: the ResNet-18 of the
benchmark names 3 of the 8 photos right at 224x224 (batch accuracy 0.75 on crops at the end);
its occlusion maps have structure (neighbouring positions correlate at 0.71), which is what the
approximate mode's quality measure needs. VGG-16 (no batch norm) stays at chance from its
initialization in such a budget, so it is trained with a batch norm after each convolution,
which is then folded into the convolution's weights and bias (:func:`_fold_batch_norm`): the
network that is saved and measured is the plain VGG-16 stack, computing what the trained one
computed. Its 40 steps of 8 crops at learning rate 3e-3 end far from converged (a noisy,
overconfident classifier: it names ``chelsea`` on the benchmark's image with logits in the
hundreds), but a patch moves its logit by up to tens, which is what the benchmark needs.

Needs scikit-image and scikit-learn (for the photos) and pillow.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from torch import nn

from datacheck.errors import MissingExtraError, OptionError
from datacheck_serving._networks import resnet18_like, vgg16_like

__all__ = ["PHOTOS", "photos", "square_photo", "train", "trained_network"]

#: the classes: ``package:name`` of each photo
PHOTOS = (
    "skimage:astronaut",
    "skimage:coffee",
    "skimage:chelsea",
    "skimage:rocket",
    "skimage:motorcycle_left",
    "skimage:hubble_deep_field",
    "sklearn:china.jpg",
    "sklearn:flower.jpg",
)
#: ImageNet's channel statistics: inputs are normalized with them, so a 0 patch is mean grey
MEAN, STD = (0.485, 0.456, 0.406), (0.229, 0.224, 0.225)
#: the shorter side photos are resized to
SIDE = 224


def _pixels(spec: str) -> np.ndarray:
    package, name = spec.split(":")
    try:
        from PIL import Image

        if package == "skimage":
            import skimage.data

            if name == "motorcycle_left":
                array = skimage.data.stereo_motorcycle()[0]  # type: ignore[no-untyped-call]
            else:
                array = getattr(skimage.data, name)()
        else:
            from sklearn.datasets import load_sample_image

            array = load_sample_image(name)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise MissingExtraError(
            "scikit-image" if package == "skimage" else "sklearn", "dev"
        ) from exc
    picture = Image.fromarray(np.asarray(array)[..., :3])
    scale = SIDE / min(picture.width, picture.height)
    size = (max(SIDE, round(picture.width * scale)), max(SIDE, round(picture.height * scale)))
    return np.asarray(picture.resize(size, Image.Resampling.BILINEAR), dtype=np.float32) / 255


def _normalize(pixels: np.ndarray) -> torch.Tensor:
    image = torch.from_numpy(pixels.copy()).permute(2, 0, 1)
    mean = torch.tensor(MEAN).reshape(3, 1, 1)
    std = torch.tensor(STD).reshape(3, 1, 1)
    return ((image - mean) / std).contiguous()


def photos() -> list[torch.Tensor]:
    """Each photo of :data:`PHOTOS`, shorter side 224, ``(3, H, W)`` normalized."""
    return [_normalize(_pixels(spec)) for spec in PHOTOS]


def square_photo(name: str = "skimage:chelsea") -> tuple[torch.Tensor, int]:
    """The centre 224x224 of one photo (normalized) and its class index."""
    image = _normalize(_pixels(name))
    top = (image.shape[1] - SIDE) // 2
    left = (image.shape[2] - SIDE) // 2
    return image[:, top : top + SIDE, left : left + SIDE].contiguous(), PHOTOS.index(name)


def _batch(
    images: list[torch.Tensor], size: int, crop: int, rng: np.random.Generator
) -> tuple[torch.Tensor, torch.Tensor]:
    labels = rng.integers(0, len(images), size=size)
    crops = []
    for label in labels:
        photo = images[int(label)]
        row = int(rng.integers(0, photo.shape[1] - crop + 1))
        col = int(rng.integers(0, photo.shape[2] - crop + 1))
        piece = photo[:, row : row + crop, col : col + crop]
        if rng.random() < 0.5:
            piece = piece.flip(2)
        # brightness and contrast jitter, in normalized units
        piece = piece * float(rng.uniform(0.8, 1.2)) + float(rng.normal(0, 0.2))
        crops.append(piece)
    return torch.stack(crops), torch.from_numpy(labels)


def train(
    model: nn.Module,
    *,
    steps: int,
    crop: int = 64,
    batch: int = 32,
    lr: float = 1e-3,
    seed: int = 0,
    log: Callable[[str], None] | None = None,
) -> nn.Module:
    """Train ``model`` (``len(PHOTOS)`` outputs) to name the photo of random crops; eval mode."""
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    images = photos()
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=steps)
    model.train()
    started = time.perf_counter()
    for step in range(steps):
        inputs, labels = _batch(images, batch, crop, rng)
        logits = model(inputs)
        loss = nn.functional.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()  # type: ignore[no-untyped-call]  # torch leaves it unannotated
        optimizer.step()
        schedule.step()
        if log is not None and (step % 10 == 0 or step == steps - 1):
            accuracy = float((logits.argmax(1) == labels).float().mean())
            log(
                f"step {step}: loss {float(loss.detach()):.3f}, batch accuracy {accuracy:.2f}, "
                f"{time.perf_counter() - started:.0f}s"
            )
    return model.eval()


def _init_vgg(model: nn.Module) -> None:
    """torchvision's VGG initialization (He normal, fan out; small linear weights)."""
    for layer in model.modules():
        if isinstance(layer, nn.Conv2d):
            nn.init.kaiming_normal_(layer.weight, mode="fan_out", nonlinearity="relu")
            if layer.bias is not None:
                nn.init.zeros_(layer.bias)
        elif isinstance(layer, nn.Linear):
            nn.init.normal_(layer.weight, 0, 0.01)
            nn.init.zeros_(layer.bias)


def _with_batch_norm(model: nn.Module) -> nn.Sequential:
    """A training copy of the VGG-16-shaped ``model`` that shares its layers and adds a batch
    norm after each convolution (a plain 16-layer stack without one barely moves from chance
    in a few dozen steps: loss ln 8 after 40 steps of 8 crops at learning rates 3e-4 to 2e-3)."""
    assert isinstance(model, nn.Sequential)
    layers: list[nn.Module] = []
    for layer in model[0].children():
        layers.append(layer)
        if isinstance(layer, nn.Conv2d):
            layers.append(nn.BatchNorm2d(layer.out_channels))
    return nn.Sequential(nn.Sequential(*layers), *list(model)[1:])


def _fold_batch_norm(trained: nn.Sequential) -> None:
    """Fold each (eval-mode) batch norm of :func:`_with_batch_norm` into the convolution before
    it, in place: the shared convolutions then compute what conv + batch norm computed, so the
    network keeps VGG-16's layers (no batch norm) and its outputs."""
    layers = list(trained[0].children())
    with torch.no_grad():
        for conv, norm in itertools.pairwise(layers):
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                # VGG's convolutions all have a bias; batch norms track running statistics
                assert conv.bias is not None and norm.running_var is not None
                assert norm.running_mean is not None
                scale = norm.weight / torch.sqrt(norm.running_var + norm.eps)
                conv.weight.mul_(scale.reshape(-1, 1, 1, 1))
                conv.bias.copy_((conv.bias - norm.running_mean) * scale + norm.bias)


#: per network: builder, training steps, crop, batch, learning rate
_RECIPES: dict[str, tuple[Callable[[], nn.Module], int, int, int, float]] = {
    "resnet18": (lambda: resnet18_like(len(PHOTOS)), 40, 32, 16, 3e-3),
    "vgg16": (lambda: vgg16_like(len(PHOTOS)), 40, 32, 8, 3e-3),
}


def trained_network(
    name: str,
    directory: str | os.PathLike[str] = "/tmp/krypton-weights",
    *,
    seed: int = 0,
    steps: int | None = None,
    log: Callable[[str], None] | None = None,
) -> nn.Module:
    """The ``resnet18`` or ``vgg16`` network trained by :func:`train` (eval mode), loaded from
    ``directory/<name>-seed<seed>-<steps>.safetensors`` or trained and saved there."""
    from safetensors.torch import load_file, save_file

    if name not in _RECIPES:
        raise OptionError(f"one of {sorted(_RECIPES)}", parameter="name", value=name)
    build, default_steps, crop, batch, lr = _RECIPES[name]
    steps = default_steps if steps is None else steps
    path = Path(directory) / f"{name}-seed{seed}-{steps}.safetensors"
    torch.manual_seed(seed)
    model = build()
    if name == "vgg16":
        _init_vgg(model)
    if path.exists():
        model.load_state_dict(load_file(str(path)))
        return model.eval()
    if name == "vgg16":  # trained with batch norms, then folded into the convolutions
        trainee = _with_batch_norm(model)
        train(trainee, steps=steps, crop=crop, batch=batch, lr=lr, seed=seed, log=log)
        _fold_batch_norm(trainee)
        model.eval()
    else:
        train(model, steps=steps, crop=crop, batch=batch, lr=lr, seed=seed, log=log)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    os.close(handle)
    try:
        state = {key: value.contiguous() for key, value in model.state_dict().items()}
        save_file(state, temporary)
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.unlink(temporary)
    return model
