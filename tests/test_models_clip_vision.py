"""The CLIP ViT tower (weights layout and outputs against open_clip) and the models built on it: AIM and
UniFormerV2 (tiny variants for behaviour, full sizes for parameter counts in slow tests)."""
from __future__ import annotations

from dataclasses import replace

import pytest
import torch
from open_clip.transformer import QuickGELU as OpenClipQuickGELU
from open_clip.transformer import VisionTransformer as OpenClipVisionTransformer

from synta.benchmark.recipe import model_recipe
from synta.models import clip_vision
from synta.models.base import count_parameters, model_param_groups
from synta.models.clip_vision import (
    ResidualAttentionBlock,
    VisionConfig,
    VisionTransformer,
    encode_frames,
    load_clip_vision,
)
from synta.models.registry import build, get_info

pytestmark = pytest.mark.usefixtures("one_thread")


def open_clip_tiny_tower() -> OpenClipVisionTransformer:
    """open_clip's own ViT with the tiny shape and OpenAI's activation (random weights)."""
    cfg = VisionConfig.tiny()
    return OpenClipVisionTransformer(image_size=cfg.image_size, patch_size=cfg.patch_size, width=cfg.width,
                                     layers=cfg.layers, heads=cfg.heads, mlp_ratio=cfg.mlp_ratio,
                                     output_dim=cfg.output_dim, act_layer=OpenClipQuickGELU).eval()


def tiny_clip_state() -> dict[str, torch.Tensor]:
    """A full-model-style state dict (``visual.`` keys) of a random tiny open_clip tower."""
    torch.manual_seed(1)
    return {f"visual.{k}": v for k, v in open_clip_tiny_tower().state_dict().items()}


# --- the tower ------------------------------------------------------------------------------------------

def test_tower_matches_open_clip_outputs():
    torch.manual_seed(0)
    theirs = open_clip_tiny_tower()
    ours = VisionTransformer(VisionConfig.tiny()).eval()
    assert load_clip_vision(ours, theirs.state_dict(), prefix="") == []
    images = torch.randn(3, 3, 32, 32)
    torch.testing.assert_close(ours(images), theirs(images), rtol=0, atol=1e-6)
    # embed / blocks / pool is the same computation as forward
    tokens = ours.embed(images)
    assert tokens.shape == (3, 1 + 16, 64)
    for block in ours.blocks:
        tokens = block(tokens)
    torch.testing.assert_close(ours.pool(tokens), ours(images))


def test_tower_other_image_size_and_frames():
    vit = VisionTransformer(VisionConfig.tiny()).eval()
    assert vit(torch.randn(2, 3, 48, 40)).shape == (2, 32)
    video = torch.randn(2, 3, 3, 32, 32)
    frames = encode_frames(vit, video)
    assert frames.shape == (2, 3, 32)
    torch.testing.assert_close(frames[1, 2], vit(video[1, 2:3])[0], rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="B, T, 3, H, W"):
        encode_frames(vit, torch.randn(2, 3, 32, 32))


def test_tower_loads_open_clip_vit_b16_strictly():
    open_clip = pytest.importorskip("open_clip")
    theirs = open_clip.create_model("ViT-B-16", pretrained=None)  # random weights, nothing downloaded
    ours = VisionTransformer()
    state = theirs.state_dict()
    assert load_clip_vision(ours, state) == []
    for key, value in ours.state_dict().items():
        assert torch.equal(value, state[f"visual.{key}"]), key
    assert count_parameters(ours) == count_parameters(theirs.visual) == 86_192_640


def test_load_clip_vision_reports_problems():
    state = tiny_clip_state()

    class Adapted(ResidualAttentionBlock):
        def __init__(self, width: int, heads: int, mlp_ratio: float = 4.0) -> None:
            super().__init__(width, heads, mlp_ratio)
            self.adapter = torch.nn.Linear(width, width)

    vit = VisionTransformer(VisionConfig.tiny(), block=Adapted)
    with pytest.raises(ValueError, match=r"missing keys: transformer\.resblocks\.0\.adapter\.weight"):
        load_clip_vision(vit, state)
    kept = load_clip_vision(vit, state, allow_missing=("adapter.",))
    assert kept == [f"transformer.resblocks.{i}.adapter.{p}" for i in range(2) for p in ("weight", "bias")]
    with pytest.raises(ValueError, match="unexpected keys: extra"):
        load_clip_vision(VisionTransformer(VisionConfig.tiny()), {**state, "visual.extra": torch.zeros(1)})
    finer = VisionTransformer(replace(VisionConfig.tiny(), patch_size=4))
    with pytest.raises(ValueError, match=r"shape mismatches: positional_embedding \(17, 64\) vs \(65, 64\), conv1"):
        load_clip_vision(finer, state)
    with pytest.raises(ValueError, match="no 'visual.' keys"):
        load_clip_vision(vit, {"text.weight": torch.zeros(1)})
    # a tower without the CLIP head ignores its weights
    headless = VisionTransformer(replace(VisionConfig.tiny(), output_dim=None, post_norm=False))
    assert load_clip_vision(headless, state) == []
    assert headless.proj is None and headless.ln_post is None


def test_drop_path_rates_rise_linearly():
    vit = VisionTransformer(VisionConfig.tiny(), drop_path_rate=0.2)
    assert [type(b.drop_path).__name__ for b in vit.blocks] == ["Identity", "StochasticDepth"]
    assert vit.blocks[1].drop_path.p == pytest.approx(0.2)


def test_openai_weights_error_is_clear(monkeypatch):
    import open_clip

    def offline(*args, **kwargs):
        raise OSError("network unreachable")

    monkeypatch.setattr(open_clip, "create_model", offline)
    with pytest.raises(RuntimeError, match="OpenAI CLIP ViT-B/16 .* network access.*network unreachable"):
        clip_vision.openai_state_dict()


# --- AIM and UniFormerV2 (tiny) --------------------------------------------------------------------------

TINY = ("aim_b16_tiny", "uniformerv2_b16_tiny")


def tiny_video(batch: int = 2, frames: int = 4) -> torch.Tensor:
    return torch.randn(batch, frames, 3, 32, 32, generator=torch.Generator().manual_seed(3))


def trained_step(model: torch.nn.Module, video: torch.Tensor) -> None:
    """Three AdamW steps on a cross-entropy loss: zero-initialised branches pass no gradient at first, so the
    parameters behind them (up to two zero-initialised layers deep) only move in later steps."""
    params = [p for g in model_param_groups(model) for p in g["params"]]
    optimizer = torch.optim.AdamW(params, lr=1e-2)
    for _ in range(3):
        loss = torch.nn.functional.cross_entropy(model(video), torch.tensor([0, 2]))
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()


@pytest.mark.parametrize("name", TINY)
def test_tiny_recipe_matches_model(name):
    recipe = model_recipe(name)
    model = build(name, 5, **recipe.model)
    assert recipe.clip.layout == "TCHW"
    assert model.num_frames == recipe.clip.frames == 4
    assert recipe.clip.transform.size == 32 and recipe.train.batch_size == 2
    full = model_recipe(name.removesuffix("_tiny"))
    assert full.clip.frames == full.model["num_frames"] == 8 and full.clip.transform.norm == "clip"


def test_aliases_and_registry():
    assert get_info("aim").name == "aim_b16" and get_info("uniformerv2").name == "uniformerv2_b16"
    assert get_info("aim_b16").paper_trainable == 11.0
    for name in TINY:
        assert get_info(name).tiny
        with pytest.raises(ValueError, match="no pretrained weights"):
            build(name, 5, pretrained=True)


@pytest.mark.parametrize("name", TINY)
def test_tiny_forward_backward_and_gradients(name):
    torch.manual_seed(0)
    model = build(name, 5).train()
    logits = model(tiny_video())
    assert logits.shape == (2, 5)
    logits.sum().backward()
    trainable = {n for n, p in model.named_parameters() if p.requires_grad}
    with_grad = {n for n, p in model.named_parameters() if p.grad is not None}
    assert with_grad == trainable
    grouped = {id(p) for g in model_param_groups(model) for p in g["params"]}
    assert grouped == {id(p) for p in model.parameters() if p.requires_grad}
    if name.startswith("aim"):
        # only adapters, the temporal embedding, ln_post and the head train; CLIP stays frozen
        assert all(n.startswith(("head.", "temporal_embedding", "backbone.ln_post.")) or "_adapter." in n
                   for n in trainable)
        assert any("t_adapter" in n for n in trainable) and "backbone.conv1.weight" not in trainable
        assert not any("attn." in n or "mlp.c_fc" in n for n in trainable)
        assert {"head.weight", "temporal_embedding", "backbone.ln_post.weight"} <= trainable
    else:
        assert trainable == {n for n, _ in model.named_parameters()}  # UniFormerV2 trains everything
        assert any(".lmhra1." in n for n in trainable)
    with pytest.raises(ValueError, match=r"\(B, 4, 3, H, W\)"):
        model(tiny_video(frames=3))


@pytest.mark.parametrize("name", TINY)
def test_tiny_optimizer_step_moves_only_trainable(name):
    torch.manual_seed(0)
    model = build(name, 5).train()
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    trained_step(model, tiny_video())
    for n, p in model.named_parameters():
        assert torch.equal(p, before[n]) != p.requires_grad, n


@pytest.mark.parametrize("name", TINY)
def test_tiny_weights_round_trip(name, tmp_path):
    torch.manual_seed(0)
    model = build(name, 5).train()
    trained_step(model, tiny_video())
    path = tmp_path / "weights.pt"
    torch.save(model.state_dict(), path)
    torch.manual_seed(1)
    loaded = build(name, 5, weights=path).eval()
    with torch.no_grad():
        torch.testing.assert_close(loaded(tiny_video()), model.eval()(tiny_video()), rtol=0, atol=0)
    # another class count keeps everything but the classifier
    other = build(name, 3, weights=path)
    assert torch.equal(other.state_dict()["backbone.conv1.weight"], model.state_dict()["backbone.conv1.weight"])


def test_aim_starts_as_clip_frame_by_frame():
    """Zero-initialised adapters and temporal embedding: AIM's features are CLIP's per-frame class tokens."""
    torch.manual_seed(0)
    model = build("aim_b16_tiny", 5)
    model.load_clip(tiny_clip_state())
    model.eval()
    plain = VisionTransformer(replace(VisionConfig.tiny(), output_dim=None))
    load_clip_vision(plain, tiny_clip_state())
    video = tiny_video()
    with torch.no_grad():
        expected = model.head(encode_frames(plain, video).mean(1))
        torch.testing.assert_close(model(video), expected, rtol=1e-5, atol=1e-6)
    assert torch.equal(model.backbone.conv1.weight, tiny_clip_state()["visual.conv1.weight"])


@pytest.mark.parametrize("local_mhra", [True, False])
def test_uniformerv2_starts_as_clip_frame_by_frame(local_mhra):
    """Zero-initialised local MHRA and global blocks: the video query stays zero and the prediction is the
    classifier of half the frame-averaged final CLIP class token."""
    torch.manual_seed(0)
    model = build("uniformerv2_b16_tiny", 5, local_mhra=local_mhra)
    model.load_clip(tiny_clip_state())
    model.eval()
    plain = VisionTransformer(replace(VisionConfig.tiny(), output_dim=None, post_norm=False))
    load_clip_vision(plain, tiny_clip_state())
    video = tiny_video()
    with torch.no_grad():
        tokens = plain.transformer(plain.embed(video.flatten(0, 1)))
        expected = model.head(0.5 * tokens[:, 0].unflatten(0, (2, 4)).mean(1))
        torch.testing.assert_close(model(video), expected, rtol=1e-5, atol=1e-6)


# --- full sizes ------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_aim_b16_parameter_counts_and_forward():
    model = build("aim", 400).eval()
    total, trainable = count_parameters(model), count_parameters(model, trainable=True)
    assert (total, trainable) == (96_764_560, 10_966_672)
    assert total / 1e6 == pytest.approx(get_info("aim").paper_params, rel=0.01)  # paper: 97 M
    assert trainable / 1e6 == pytest.approx(get_info("aim").paper_trainable, rel=0.01)  # paper: 11.0 M
    with torch.no_grad():
        assert model(torch.randn(1, 8, 3, 224, 224)).shape == (1, 400)


@pytest.mark.slow
def test_uniformerv2_b16_parameter_counts_and_forward():
    kinetics = build("uniformerv2", 400, local_mhra=False)
    assert count_parameters(kinetics) == 114_552_208
    assert count_parameters(kinetics) / 1e6 == pytest.approx(get_info("uniformerv2").paper_params, rel=0.01)
    model = build("uniformerv2", 400).eval()  # with both local MHRA in every block
    assert count_parameters(model) == count_parameters(model, trainable=True) == 133_543_312
    with torch.no_grad():
        assert model(torch.randn(1, 8, 3, 224, 224)).shape == (1, 400)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["aim", "uniformerv2"])
def test_full_pretrained_loading_path(monkeypatch, name):
    """``pretrained=True`` with open_clip's randomly initialised ViT-B-16 standing in for OpenAI's download."""
    import open_clip

    state = open_clip.create_model("ViT-B-16", pretrained=None).state_dict()
    monkeypatch.setattr(clip_vision, "openai_state_dict", lambda: state)
    model = build(name, 20, pretrained=True)
    for key in ("conv1.weight", "positional_embedding", "transformer.resblocks.11.mlp.c_proj.weight"):
        assert torch.equal(model.backbone.state_dict()[key], state[f"visual.{key}"]), key
