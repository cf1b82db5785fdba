"""The CLIP text side and the five CLIP video-text models (ActionCLIP, X-CLIP, ViFi-CLIP, EZ-CLIP, FROSTER).

Tiny variants run the full code paths: forward, backward, an optimiser step, a checkpoint round trip through
``synta.models.build(name, weights=path)``, scoring a label space never trained on, and encoding each label
space once per evaluation. OpenAI-layout weights come from a tiny open_clip CLIP built here (nothing is
downloaded); the slow tests build the full ViT-B/16 models.
"""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from synta.models.label_space import LabelSpace
from synta.models import registry
from synta.models.base import as_output, count_parameters, model_loss, model_param_groups
from synta.models.clip_text import TextConfig, TextTransformer, tokenize
from synta.models.clip_video import video_text_kl
from synta.models.clip_vision import encode_frames
from synta.models.ezclip import motion_loss
from synta.models.prompts import ACTIONCLIP_TEMPLATES, FROSTER_TEMPLATES, PromptEnsemble, class_texts, load_descriptions
from synta.models.weights import load_weights

TINY = ("actionclip_b16_tiny", "xclip_b16_tiny", "vificlip_b16_tiny", "ezclip_b16_tiny", "froster_b16_tiny")
COARSE = ("orbiting", "rising", "falling")
TRAIN_SPACE = LabelSpace("coarse", 1, COARSE, (0, 1, 2), COARSE)
UNSEEN_SPACE = LabelSpace(
    "fine", 2,
    ("Single sphere orbiting clockwise", "Two cylinders rising together", "A torus falling and bouncing",
     "A capsule spinning in place", "A sphere moving in a path from left to right"),
    (0, 1, 2, 0, 1), COARSE, set_fine_names=("orbiting7", "rising4", "falling3", "orbiting8", "moving_in_a_path5"))


pytestmark = pytest.mark.usefixtures("one_thread")


def _video(batch: int = 2, frames: int = 4, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, frames, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


def _tiny_open_clip_state() -> dict[str, torch.Tensor]:
    """A randomly initialised open_clip CLIP with the tiny towers' shapes (OpenAI key layout)."""
    from open_clip.model import CLIP

    torch.manual_seed(1)
    model = CLIP(32, dict(image_size=32, patch_size=8, width=64, layers=2, head_width=32),
                 dict(context_length=16, vocab_size=1024, width=32, heads=2, layers=2), quick_gelu=True)
    return model, model.state_dict()


def _text_calls(model) -> list[int]:
    calls = [0]
    model.text.register_forward_hook(lambda *_: calls.__setitem__(0, calls[0] + 1))
    return calls


# ---------------------------------------------------------------------- text tower and prompts


def test_tokenize_truncates_and_keeps_the_end_token():
    tokens = tokenize(["orbiting", "a very long caption " * 10], context_length=16)
    assert tokens.shape == (2, 16) and tokens.dtype == torch.long
    start, end = 49406, 49407
    n = int(tokens[0].gt(0).sum())
    assert tokens[0, 0] == start and tokens[0, n - 1] == end and tokens[0, n:].eq(0).all()
    assert tokens[1, -1] == end  # truncated rows keep the end token last
    with pytest.raises(TypeError):
        tokenize("orbiting")


def test_text_tower_folds_ids_into_a_tiny_vocabulary_and_rejects_long_input():
    tower = TextTransformer(TextConfig.tiny())
    tokens = tokenize(["orbiting", "rising"], context_length=16)
    assert tokens.max() >= tower.cfg.vocab_size  # real BPE ids exceed the tiny table ...
    assert tower(tokens).shape == (2, 32)  # ... and are folded into it
    with pytest.raises(ValueError, match="context_length|L<=16"):
        tower(torch.zeros(1, 17, dtype=torch.long))


def test_towers_compute_what_open_clip_computes_with_the_same_weights():
    reference, state = _tiny_open_clip_state()
    reference.eval()
    model = registry.build("vificlip_b16_tiny").eval()
    load_weights(model, state)  # a plain CLIP state dict goes through remap_state_dict
    tokens = torch.randint(1, 1000, (4, 16))
    tokens[:, 9], tokens[:, 10:] = 1023, 0  # end token (the row maximum), padding
    images = torch.randn(3, 3, 32, 32)
    with torch.no_grad():
        torch.testing.assert_close(model.text(tokens), reference.encode_text(tokens), atol=1e-5, rtol=1e-4)
        torch.testing.assert_close(model.visual(images), reference.encode_image(images), atol=1e-5, rtol=1e-4)
    assert model.logit_scale.item() == pytest.approx(state["logit_scale"].item())


def test_prompt_ensembles():
    assert len(ACTIONCLIP_TEMPLATES) == 16 and len(FROSTER_TEMPLATES) == 29
    assert FROSTER_TEMPLATES[0] == "a photo of {}." and FROSTER_TEMPLATES[8] == "a video of a person {}."
    froster = PromptEnsemble(FROSTER_TEMPLATES, train_sample=1, train_keep=(28,))
    assert froster.indices(train=False) == tuple(range(29))
    for _ in range(5):
        drawn = froster.indices(train=True)
        assert len(drawn) == 2 and 28 in drawn
    ensemble = PromptEnsemble(("a {}", "{}!"))
    assert ensemble.prompts(["x", "y"], (0, 1)) == ["a x", "a y", "x!", "y!"]
    with pytest.raises(ValueError, match="exactly once"):
        PromptEnsemble(("no slot",))
    with pytest.raises(ValueError, match="train_sample"):
        PromptEnsemble(("{}",), train_sample=2)


def test_descriptions_csv(tmp_path):
    path = tmp_path / "descriptions.csv"
    path.write_text('class,description\norbiting,"An object circles\n around a centre."\nrising4,Goes up.\n',
                    encoding="utf-8")
    descriptions = load_descriptions(path)
    assert descriptions == {"orbiting": "An object circles around a centre.", "rising4": "Goes up."}
    space = LabelSpace("fine", 1, ("A cube orbiting", "Two cones rising"), (0, 1), COARSE,
                       set_fine_names=("orbiting", "rising4"))
    assert class_texts(space, descriptions) == ["An object circles around a centre.", "Goes up."]
    assert class_texts(LabelSpace("coarse", 1, ("moving_in_a_path",), (0,), COARSE)) == ["moving in a path"]
    with pytest.raises(KeyError, match="no description"):
        class_texts(TRAIN_SPACE, descriptions)
    bad = tmp_path / "bad.csv"
    bad.write_text("name,text\na,b\n", encoding="utf-8")
    with pytest.raises(ValueError, match="class,description"):
        load_descriptions(bad)
    model = registry.build("ezclip_b16_tiny", descriptions=path).eval()
    assert model.prompts.templates == ("{}",)
    assert model(_video(), labels=model.encode_labels(space)).logits.shape == (2, 2)


# ---------------------------------------------------------------------- the five models


@pytest.mark.parametrize("name", TINY)
def test_train_step_checkpoint_round_trip_and_unseen_labels(name, tmp_path):
    torch.manual_seed(0)
    model = registry.build(name)
    info = registry.get_info(name)
    assert info.uses_text and info.tiny and model.uses_text
    video, target = _video(), torch.tensor([0, 2])

    model.train()
    output = as_output(model(video, labels=model.encode_labels(TRAIN_SPACE)))
    assert output.logits.shape == (2, 3) and torch.isfinite(output.logits).all()
    losses = model_loss(model, output, target, torch.nn.CrossEntropyLoss())
    loss = sum(losses.values())
    assert torch.isfinite(loss)
    loss.backward()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert trainable and all(p.grad is not None for p in trainable.values()), \
        [n for n, p in trainable.items() if p.grad is None]
    assert all(p.grad is None for p in model.parameters() if not p.requires_grad)
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    groups = [{"params": g["params"], "lr": 1e-3 * g["lr_mult"]} for g in model_param_groups(model)]
    torch.optim.AdamW(groups).step()
    changed = {n for n, p in model.named_parameters() if not torch.equal(p, before[n])}
    assert changed == set(trainable)

    model.eval()
    unseen = model.encode_labels(UNSEEN_SPACE)
    with torch.no_grad():
        expected = as_output(model(video, labels=unseen)).logits
    assert expected.shape == (2, 5) and torch.isfinite(expected).all()
    path = tmp_path / "model.pt"
    torch.save({"model": model.state_dict()}, path)
    loaded = registry.build(name, weights=path).eval()
    with torch.no_grad():
        got = as_output(loaded(video, labels=loaded.encode_labels(UNSEEN_SPACE))).logits
    torch.testing.assert_close(got, expected, rtol=0, atol=0)


@pytest.mark.parametrize("name", TINY)
def test_label_text_is_encoded_once_per_evaluation(name):
    model = registry.build(name).eval()
    calls = _text_calls(model)
    labels = model.encode_labels(UNSEEN_SPACE)
    encoded = calls[0]
    assert encoded >= 1
    with torch.no_grad():
        for seed in range(3):
            assert as_output(model(_video(seed=seed), labels=labels)).logits.shape == (2, 5)
    assert model.encode_labels(UNSEEN_SPACE) is labels  # cached per label space
    assert calls[0] == encoded  # no text-tower call per batch
    model.encode_labels(TRAIN_SPACE)
    assert calls[0] == 2 * encoded  # another label space is encoded on its own
    model.train()
    model.eval()  # a mode change may follow training steps: the cache is dropped
    model.encode_labels(UNSEEN_SPACE)
    assert calls[0] == 3 * encoded


@pytest.mark.parametrize("name", TINY)
def test_training_encodes_labels_with_gradients_only_when_the_text_side_trains(name):
    model = registry.build(name).train()
    calls = _text_calls(model)
    first = model.encode_labels(TRAIN_SPACE)
    second = model.encode_labels(TRAIN_SPACE)
    text = first.text if hasattr(first, "text") else first
    if model.trains_text:
        assert calls[0] == 2 and text.requires_grad and first is not second
    else:  # X-CLIP's frozen text: once, without gradients
        assert name.startswith("xclip") and calls[0] == 1 and not text.requires_grad and first is second


def test_which_parameters_train():
    def trainable(name):
        return {n for n, p in registry.build(name).named_parameters() if p.requires_grad}

    assert all(".adapter." in n or n.endswith("temporal_prompt") for n in trainable("ezclip_b16_tiny"))
    assert not any(n.startswith("text.") or n == "logit_scale" for n in trainable("xclip_b16_tiny"))
    vifi = trainable("vificlip_b16_tiny")
    assert "logit_scale" in vifi and "text.token_embedding.weight" not in vifi
    groups = {g["name"]: g["lr_mult"] for g in registry.build("xclip_b16_tiny").param_groups()}
    assert groups == {"backbone": 1.0, "message_": 10.0, "mit.": 10.0, "prompts_": 10.0}
    assert {g["name"]: g["lr_mult"] for g in registry.build("actionclip_b16_tiny").param_groups()} == \
        {"backbone": 1.0, "fusion.": 10.0}


def test_untrained_vificlip_is_zero_shot_clip():
    model = registry.build("vificlip_b16_tiny").eval()
    video = _video()
    with torch.no_grad():
        logits = model(video, labels=model.encode_labels(TRAIN_SPACE)).logits
        frames = F.normalize(encode_frames(model.visual, video).mean(1), dim=-1)
        text = F.normalize(model.text(tokenize([f"a photo of a {c}." for c in COARSE], 16)), dim=-1)
    torch.testing.assert_close(logits, model.logit_scale.exp() * frames @ text.t())


def test_ezclip_adapters_start_as_the_identity():
    model = registry.build("ezclip_b16_tiny").eval()
    plain = TextTransformer(TextConfig.tiny())
    plain.load_state_dict({k: v for k, v in model.text.state_dict().items() if ".adapter." not in k})
    tokens = tokenize(list(COARSE), 16)
    with torch.no_grad():
        torch.testing.assert_close(model.text(tokens), plain(tokens))
    # Per vision block: 4 frame prompts of width 64 and a 64-16-64 adapter; per text block a 32-8-32 adapter.
    assert count_parameters(model, trainable=True) == 2 * (4 * 64 + 2 * 64 * 16 + 16 + 64) + 2 * (2 * 32 * 8 + 8 + 32)


def test_video_text_kl_uses_the_same_class_ground_truth():
    logits = torch.tensor([[3.0, 0.0, 1.0], [0.5, 2.0, 0.0], [2.5, 0.0, 0.2]])
    target = torch.tensor([0, 1, 0])  # videos 0 and 2 share a class
    sim = logits[:, target]
    truth = torch.softmax(10.0 * torch.tensor([[1.0, 0, 1], [0, 1, 0], [1, 0, 1]]), dim=1)
    expected = sum(F.kl_div(F.log_softmax(s, 1), truth, reduction="batchmean") for s in (sim, sim.t())) / 2
    torch.testing.assert_close(video_text_kl(logits, target), expected)
    with pytest.raises(ValueError, match="integer class targets"):
        video_text_kl(logits, torch.rand(3, 3))


def test_motion_loss_rewards_frames_that_change():
    still = torch.ones(2, 4, 8)
    moving = torch.arange(4.0).view(1, 4, 1).expand(2, 4, 8)
    assert motion_loss(still).item() == pytest.approx(1.0)
    assert motion_loss(moving) < motion_loss(still)


def test_froster_teacher_is_frozen_outside_the_state_dict_and_follows_the_model():
    model = registry.build("froster_b16_tiny")
    assert not any(k.startswith("teacher") for k in model.state_dict())
    assert count_parameters(model) == sum(p.numel() for p in model.state_dict().values())
    assert all(not p.requires_grad for p in model.teacher.parameters())
    model.train()
    out = model(_video(), labels=model.encode_labels(TRAIN_SPACE))
    assert set(out.losses) == {"distill"} and out.losses["distill"] >= 0
    assert not model.teacher.training  # train() does not reach the teacher
    model.eval()
    assert model(_video(), labels=model.encode_labels(TRAIN_SPACE)).losses == {}
    model.double()
    assert next(model.teacher.parameters()).dtype == torch.float64
    model.float()
    _, state = _tiny_open_clip_state()
    load_weights(model, state)  # plain CLIP weights: student and teacher both start from them
    torch.testing.assert_close(model.teacher.visual.conv1.weight, state["visual.conv1.weight"])
    torch.testing.assert_close(model.teacher.text.text_projection, state["text_projection"])


def test_clear_errors():
    model = registry.build("xclip_b16_tiny")
    with pytest.raises(ValueError, match="built for 4 frames"):
        model(_video(frames=6), labels=TRAIN_SPACE)
    with pytest.raises(ValueError, match="classifies by text"):
        model(_video())
    with pytest.raises(ValueError, match="TCHW"):
        model(torch.randn(2, 3, 4, 32, 32), labels=TRAIN_SPACE)
    with pytest.raises(ValueError, match="no pretrained weights"):
        registry.build("ezclip_b16_tiny", pretrained=True)
    _, state = _tiny_open_clip_state()
    del state["visual.proj"]
    with pytest.raises(ValueError, match="missing keys: proj"):
        model.load_clip(state)


@pytest.mark.parametrize("name", TINY)
def test_recipes_build_their_models(name):
    from synta.benchmark.recipe import model_recipe

    recipe = model_recipe(name)
    assert recipe.clip.layout == "TCHW" and recipe.clip.transform.norm == "clip"
    assert recipe.clip.transform.size == 32 and recipe.clip.frames == 4 and recipe.train.batch_size == 2
    model = registry.build(name, **recipe.model).eval()
    assert model(_video(frames=recipe.clip.frames), labels=TRAIN_SPACE).logits.shape == (2, 3)
    full = model_recipe(name.removesuffix("_tiny"))
    assert full.model.get("num_frames", full.clip.frames) == full.clip.frames


# ---------------------------------------------------------------------- full size

# Measured total / trainable parameters (millions); the registry's published counts are checked within 2%.
EXPECTED_M = {"actionclip_b16": (168.5, 168.5), "xclip_b16": (194.9, 131.5), "vificlip_b16": (149.6, 124.3),
         "ezclip_b16": (154.8, 5.2), "froster_b16": (150.7, 150.7)}


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(EXPECTED_M))
def test_full_size_parameter_counts_and_clip_loading(name):
    import open_clip

    info = registry.get_info(name)
    model = registry.build(name)
    total, trainable = count_parameters(model) / 1e6, count_parameters(model, trainable=True) / 1e6
    assert (total, trainable) == pytest.approx(EXPECTED_M[name], abs=0.05)
    if info.paper_params is not None:
        assert abs(total - info.paper_params) / info.paper_params < 0.02
    if info.paper_trainable is not None:
        assert abs(trainable - info.paper_trainable) / info.paper_trainable < 0.02
    # OpenAI's layout, randomly initialised (no download): every CLIP key loads strictly.
    model.load_clip(open_clip.create_model("ViT-B-16", pretrained=None, force_quick_gelu=True).state_dict())
