"""The unimodal zoo: C2D, I3D, X3D-M, SlowFast, MViTv2-S and Rev-MViT-B behind the registry.

Fast tests run the tiny variants (same code, small width/depth/input); full-size checks are marked slow.
"""
from __future__ import annotations

import math
import re
from functools import partial
from urllib.error import URLError

import pytest
import torch
import torch.nn.functional as F
from pytorchvideo.models import hub
from pytorchvideo.models.resnet import create_resnet
from pytorchvideo.models.slowfast import create_slowfast
from pytorchvideo.models.x3d import create_x3d
from torch import nn
from torchvision.models.video import mvit_v2_s
from torchvision.models.video.mvit import MViT

from synta.benchmark.recipe import model_recipe
from synta.models import registry
from synta.models.base import count_parameters
from synta.models.heads import pool_features
from synta.models.mvit import multiscale_blocks
from synta.models.resnet3d import ARCHS
from synta.models.rev_mvit import ReversibleBlock, reversible_run
from synta.models.weights import WeightsError, load_weights

MODELS = ("c2d_r50", "i3d_r50", "x3d_m", "slowfast_r50", "mvitv2_s", "rev_mvit_b")
TINY = tuple(f"{m}_tiny" for m in MODELS)
# Published parameter counts (millions) with a Kinetics-400 head.
PAPER_PARAMS = {"c2d_r50": 24.3, "i3d_r50": 28.0, "x3d_m": 3.8, "slowfast_r50": 34.6, "mvitv2_s": 34.5,
                "rev_mvit_b": 34.9}
ALIASES = {"c2d": "c2d_r50", "i3d": "i3d_r50", "x3d": "x3d_m", "slowfast": "slowfast_r50", "mvitv2": "mvitv2_s",
           "rev_mvit": "rev_mvit_b"}


pytestmark = pytest.mark.usefixtures("one_thread")


def clip(name: str, batch: int = 2, seed: int = 0) -> torch.Tensor:
    """A normalised-looking random clip at the model's recipe input, ``(B, 3, T, H, W)``."""
    recipe = model_recipe(name)
    assert recipe.clip.layout == "CTHW"
    size = recipe.clip.transform.size
    return torch.randn(batch, 3, recipe.clip.frames, size, size, generator=torch.Generator().manual_seed(seed))


def outputs(model: nn.Module, x: torch.Tensor | list[torch.Tensor]) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(x)


@pytest.mark.parametrize("name", TINY)
def test_tiny_trains_and_reloads(name, tmp_path):
    torch.manual_seed(0)
    model = registry.build(name, 5)
    x, target = clip(name), torch.tensor([1, 3])
    logits = model.train()(x)
    assert logits.shape == (2, 5)
    F.cross_entropy(logits, target).backward()
    params = [p for p in model.parameters() if p.requires_grad]
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in params)
    assert sum(p.grad.square().sum() for p in params) > 0
    before = [p.detach().clone() for p in params]
    torch.optim.SGD(params, lr=0.1).step()
    assert any(not torch.equal(b, p) for b, p in zip(before, params))

    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    loaded = registry.build(name, 5, weights=path)
    assert torch.equal(outputs(model, x), outputs(loaded, x))


@pytest.mark.parametrize("name", TINY)
def test_wrong_keys_are_named(name):
    model = registry.build(name, 5)
    state = model.state_dict()
    state["bogus.weight"] = torch.zeros(1)
    with pytest.raises(WeightsError, match=r"unexpected keys: .*bogus\.weight"):
        load_weights(model, state)
    state = model.state_dict()
    dropped = next(k for k in state if not k.startswith(model.classifier_keys))
    del state[dropped]
    with pytest.raises(WeightsError, match=f"missing keys: .*{re.escape(dropped)}"):
        load_weights(model, state)


@pytest.mark.parametrize("name", TINY)
def test_kinetics_head_is_reinitialised(name, tmp_path):
    k400 = registry.build(name, 400)
    torch.save({"model_state": k400.state_dict()}, tmp_path / "k400.pyth")
    model = registry.build(name, 7)
    skipped = load_weights(model, tmp_path / "k400.pyth")
    head = model.classifier_keys
    assert skipped and all(k.startswith(head) for k in skipped)
    assert all(torch.equal(v, k400.state_dict()[k]) for k, v in model.state_dict().items() if not k.startswith(head))
    assert outputs(model, clip(name)).shape == (2, 7)


@pytest.mark.parametrize("name", TINY)
def test_features_are_one_vector_per_clip(name):
    """``forward_features`` (what feature extractors pool) ends where the classifier starts."""
    model = registry.build(name, 5).eval()
    with torch.no_grad():
        features = pool_features(model.forward_features(clip(name)))
    classifier = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]  # every family ends in it
    assert classifier.out_features == 5 and features.shape == (2, classifier.in_features)


def test_aliases_resolve():
    for alias, name in ALIASES.items():
        assert registry.resolve(alias) == name
        assert registry.resolve(name.upper()) == name
        full, tiny = registry.get_info(name), registry.get_info(f"{name}_tiny")
        assert tiny.tiny and not full.tiny and tiny.config == full.config == name
        assert full.weights_url.startswith("https://") and full.paper_params == PAPER_PARAMS[name]
        assert "Kinetics-400" in full.pretrained


def test_pretrained_errors_are_clear(monkeypatch):
    with pytest.raises(ValueError, match="x3d_m_tiny has no pretrained weights"):
        registry.build("x3d_m_tiny", 5, pretrained=True)

    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(RuntimeError, match=r"X3D_M\.pyth .*weights=PATH"):
        registry.build("x3d_m", 5, pretrained=True)


def test_slowfast_splits_pathways():
    model = registry.build("slowfast_r50_tiny", 3)
    video = torch.arange(8.0).view(1, 1, 8, 1, 1).expand(1, 3, 8, 2, 2)
    slow, fast = model.pathways(video)
    assert slow[0, 0, :, 0, 0].tolist() == [0.0, 7.0] and torch.equal(fast, video)
    with pytest.raises(ValueError, match="multiple of alpha=4"):
        model(torch.zeros(1, 3, 6, 32, 32))


# Canonical checkpoint layouts: a library network's own state dict loads into our model (key remapping) and
# both compute the same logits. The references are the library builds our classes wrap, with their own heads.

def _pytorchvideo_reference(name: str) -> nn.Module:
    if name in ("c2d_r50_tiny", "i3d_r50_tiny"):  # 4 frames at 32 px leave a (2, 1, 1) map for the head
        return create_resnet(model_depth=50, stem_dim_out=8, stage1_pool=nn.MaxPool3d, model_num_class=5,
                             head_pool_kernel_size=(2, 1, 1), **ARCHS[name[:3]])
    if name == "slowfast_r50_tiny":
        return create_slowfast(model_depth=50, stem_dim_outs=(8, 1), slowfast_fusion_conv_kernel_size=(7, 1, 1),
                               model_num_class=5, head_pool_kernel_sizes=((2, 1, 1), (8, 1, 1)))
    return create_x3d(input_clip_length=4, input_crop_size=32, width_factor=0.5, depth_factor=1.0,
                      head_dim_out=64, model_num_class=5, head_activation=None)


@pytest.mark.parametrize("name", ["c2d_r50_tiny", "i3d_r50_tiny", "slowfast_r50_tiny", "x3d_m_tiny"])
def test_pytorchvideo_zoo_layout_loads(name, tmp_path):
    reference = _pytorchvideo_reference(name)
    torch.save({"model_state": reference.state_dict(), "epoch": 196}, tmp_path / "zoo.pyth")
    model = registry.build(name, 5, weights=tmp_path / "zoo.pyth")
    x = clip(name)
    expected = outputs(reference, model.pathways(x) if hasattr(model, "pathways") else x)
    torch.testing.assert_close(outputs(model, x), expected, rtol=1e-5, atol=1e-6)


def test_torchvision_mvit_layout_loads():
    model = registry.build("mvitv2_s_tiny", 5)
    reference = MViT(spatial_size=(32, 32), temporal_size=4, residual_pool=True, residual_with_cls_embed=False,
                     rel_pos_embed=True, proj_after_attn=True, num_classes=5,
                     block_setting=multiscale_blocks(4, 16, 1, (1, 3), (1, 4, 4)))
    load_weights(model, reference.state_dict())
    x = clip("mvitv2_s_tiny")
    torch.testing.assert_close(outputs(model, x), outputs(reference, x), rtol=0, atol=0)


def test_slowfast_zoo_layout_loads_into_rev_mvit():
    """The SlowFast model zoo's names (and its unused class-token parameters) map onto ours."""
    model = registry.build("rev_mvit_b_tiny", 5)
    renames = {"patch_embed.": "patch_embed.proj.", "blocks.": "rev_backbone.layers.", "head.fc.": "head.projection."}
    zoo = {}
    for key, value in model.state_dict().items():
        prefix = next((p for p in renames if key.startswith(p)), "")
        zoo[renames.get(prefix, "") + key.removeprefix(prefix)] = value.clone()
    zoo.update(cls_token=torch.zeros(1, 1, 16), pos_embed_class=torch.zeros(1, 1, 16))
    loaded = registry.build("rev_mvit_b_tiny", 5)
    load_weights(loaded, zoo)
    x = clip("rev_mvit_b_tiny")
    assert torch.equal(outputs(model, x), outputs(loaded, x))


# Rev-MViT: reversible back-propagation is exact and its activation memory does not grow with depth.

def test_rev_mvit_reversible_gradients_match_autograd(monkeypatch):
    inversions = []
    invert = ReversibleBlock.invert
    monkeypatch.setattr(ReversibleBlock, "invert", lambda self, *a: inversions.append(self) or invert(self, *a))
    torch.manual_seed(0)
    model = registry.build("rev_mvit_b_tiny", 5, drop_path=0.3).train()
    x = clip("rev_mvit_b_tiny").requires_grad_()

    def gradients(reversible: bool) -> dict[str, torch.Tensor]:
        model.reversible = reversible
        model.zero_grad()
        x.grad = None
        torch.manual_seed(1)  # the same stochastic-depth masks and dropout in both runs
        F.cross_entropy(model(x), torch.tensor([0, 4])).backward()
        return {"input": x.grad.clone(), **{n: p.grad.clone() for n, p in model.named_parameters()}}

    reversible = gradients(True)
    assert len(inversions) == sum(isinstance(b, ReversibleBlock) for b in model.blocks) == 4
    plain = gradients(False)
    assert len(inversions) == 4
    assert reversible.keys() == plain.keys()
    for key in plain:
        torch.testing.assert_close(reversible[key], plain[key], rtol=0, atol=1e-4, msg=key)
    assert max(g.abs().max() for g in plain.values()) > 1e-2  # the comparison is not between zeros


def saved_activation_bytes(run, params) -> int:
    """Bytes of the distinct non-parameter tensors autograd keeps for the backward pass while ``run()``
    executes (``saved_tensors_hooks`` see every save, custom Functions' included). This is the activation
    memory a training step holds at its peak, independent of allocator caching and other processes."""
    weights = {p.untyped_storage().data_ptr() for p in params}
    saved = {}

    def pack(t: torch.Tensor) -> torch.Tensor:
        storage = t.untyped_storage()
        if storage.data_ptr() not in weights:
            saved[storage.data_ptr()] = storage.nbytes()
        return t

    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        run()
    return sum(saved.values())


def test_reversible_activation_memory_is_constant_in_depth():
    torch.manual_seed(0)
    x = torch.randn(2, 2 * 8 * 8, 32, requires_grad=True)
    measured = {}
    for depth in (2, 8):
        blocks = nn.ModuleList(ReversibleBlock(32, 2, (3, 3, 3), (1, 2, 2), drop_path=0.1) for _ in range(depth))
        for reversible in (True, False):
            run = partial(reversible_run, x, x, list(blocks.train()), (2, 8, 8), reversible)
            measured[depth, reversible] = saved_activation_bytes(run, list(blocks.parameters()))
    stream = x.numel() * x.element_size()
    assert measured[2, True] == measured[8, True] == 2 * stream  # only the run's two outputs
    assert measured[8, False] > 3.5 * measured[2, False]  # plain autograd: linear in depth
    assert measured[8, False] > 50 * measured[8, True]


# Full size (slow): parameter counts against the papers, canonical layouts, one forward at the default input.

@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_full_size_matches_paper(name):
    model = registry.build(name, 400).eval()
    params = count_parameters(model) / 1e6
    assert math.isclose(params, PAPER_PARAMS[name], rel_tol=0.02), f"{name}: {params:.2f} M"
    assert outputs(model, clip(name, batch=1)).shape == (1, 400)


def _library_model(name: str) -> nn.Module:
    if name == "mvitv2_s":
        return mvit_v2_s()
    return getattr(hub, name)(**({"head_activation": None} if name == "x3d_m" else {}))


@pytest.mark.slow
@pytest.mark.parametrize("name", ["c2d_r50", "i3d_r50", "x3d_m", "slowfast_r50", "mvitv2_s"])
def test_full_size_loads_library_weights(name):
    """The library's architecture at canonical size loads strictly and computes the same logits."""
    reference = _library_model(name).eval()
    model = registry.build(name, 400)
    assert load_weights(model, reference.state_dict()) == []
    x = clip(name, batch=1)
    expected = outputs(reference, model.pathways(x) if hasattr(model, "pathways") else x)
    torch.testing.assert_close(outputs(model, x), expected, rtol=1e-4, atol=1e-5)
