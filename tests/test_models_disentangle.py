"""The coarse/fine disentangling model (``disentangle_b16``): its tiny variant trains (forward, backward, an
optimiser step, a checkpoint round trip), scores an unknown set's coarse space through that set's fine
captions, fuses the branches as documented, and computes the weighted coarse, fine and decorrelation terms."""
from __future__ import annotations

import json
from dataclasses import replace

import pytest
import torch
from click.testing import CliRunner

from synta.models.label_space import LabelSpace
from synta.models import registry
from synta.models.base import model_loss, model_param_groups
from synta.models.clip_video import video_text_kl
from synta.models.disentangle import (
    FUSION_EPS,
    DisentangleOutput,
    fuse_coarse,
    fuse_fine,
    hierarchy_matrix,
    squared_cosine,
)

TINY = "disentangle_b16_tiny"
COARSE = ("orbiting", "rising", "falling")
SET1_FINE = ("Single sphere orbiting clockwise", "Two cylinders rising together", "A torus rising and spinning",
             "A capsule falling and bouncing")
SET2_FINE = ("Two cubes orbiting each other", "A cone orbiting a sphere", "A sphere rising slowly",
             "Many objects falling one by one", "A torus falling sideways")
KNOWN = LabelSpace("coarse", 1, COARSE, (0, 1, 2), COARSE, SET1_FINE, ("orbiting1", "rising1", "rising2", "falling1"),
                   (0, 1, 1, 2))
UNKNOWN = LabelSpace("coarse", 2, COARSE, (0, 1, 2), COARSE, SET2_FINE,
                     ("orbiting2", "orbiting3", "rising3", "falling2", "falling3"), (0, 0, 1, 2, 2))
CRITERION = torch.nn.CrossEntropyLoss()


pytestmark = pytest.mark.usefixtures("one_thread")


def _video(batch: int = 2, seed: int = 0) -> torch.Tensor:
    return torch.randn(batch, 4, 3, 32, 32, generator=torch.Generator().manual_seed(seed))


def _trained_copy(model: torch.nn.Module) -> torch.nn.Module:
    """``model`` after one optimiser step (so the branch projections and adapters are no longer at their
    initialisation, where several paths coincide)."""
    model.train()
    out = model(_video(seed=5), labels=model.encode_labels(KNOWN))
    loss = sum(model.loss(out, torch.tensor([0, 2]), CRITERION, fine=torch.tensor([0, 3])).values())
    loss.backward()
    torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=1e-2).step()
    return model.eval()


def test_registered_with_the_recipe_and_the_alias():
    assert registry.resolve("disentangle") == "disentangle_b16"
    info, tiny = registry.get_info("disentangle_b16"), registry.get_info(TINY)
    assert info.uses_text and tiny.uses_text and tiny.tiny and info.config == tiny.config == "disentangle_b16"
    model = registry.build(TINY)
    assert model.uses_text and model.uses_fine_labels


def test_recipe_is_ezclips_plus_the_branch_weights():
    from synta.benchmark.recipe import model_recipe

    for name in ("disentangle_b16", TINY):
        ours, base = model_recipe(name), model_recipe(name.replace("disentangle", "ezclip"))
        assert (ours.clip, ours.optim, ours.train) == (base.clip, base.optim, base.train)
        assert {k: v for k, v in ours.model.items() if not k.endswith("_weight")} == base.model
    recipe = model_recipe(TINY, {"model": {"fusion_weight": 0.5, "decorrelation_weight": 0.0}})
    model = registry.build(TINY, **recipe.model)
    assert (model.fusion_weight, model.decorrelation_weight, model.num_frames) == (0.5, 0.0, 4)


def test_train_step_checkpoint_round_trip_and_unknown_set(tmp_path):
    torch.manual_seed(0)
    model = registry.build(TINY)
    video, target, fine = _video(), torch.tensor([1, 2]), torch.tensor([1, 3])  # fine 1, 3 are rising, falling

    model.train()
    output = model(video, labels=model.encode_labels(KNOWN))
    assert isinstance(output, DisentangleOutput)
    assert output.logits.shape == output.coarse_logits.shape == (2, 3) and output.fine_logits.shape == (2, 4)
    losses = model_loss(model, output, target, CRITERION, fine=fine)  # the engine's call
    assert set(losses) == {"coarse", "fine", "decorrelation", "motion"}
    assert all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    trainable = {n: p for n, p in model.named_parameters() if p.requires_grad}
    assert {"coarse_proj.weight", "fine_proj.weight"} <= set(trainable)
    assert all(p.grad is not None for p in trainable.values()), [n for n, p in trainable.items() if p.grad is None]
    before = {n: p.detach().clone() for n, p in model.named_parameters()}
    groups = [{"params": g["params"], "lr": 1e-3 * g["lr_mult"]} for g in model_param_groups(model)]
    torch.optim.AdamW(groups).step()
    assert {n for n, p in model.named_parameters() if not torch.equal(p, before[n])} == set(trainable)

    model.eval()
    with torch.no_grad():
        expected = model(video, labels=model.encode_labels(UNKNOWN))
    assert expected.logits.shape == (2, 3) and expected.fine_logits.shape == (2, 5)  # Set 2's five captions
    assert torch.isfinite(expected.logits).all()
    path = tmp_path / "model.pt"
    torch.save({"model": model.state_dict()}, path)
    loaded = registry.build(TINY, weights=path).eval()
    with torch.no_grad():
        got = loaded(video, labels=loaded.encode_labels(UNKNOWN)).logits
    torch.testing.assert_close(got, expected.logits, rtol=0, atol=0)


def test_unknown_set_is_scored_through_its_own_captions():
    model = _trained_copy(registry.build(TINY))
    video = _video()
    edited = replace(UNKNOWN, set_fine=(*SET2_FINE[:-1], "A pyramid falling and shattering"))
    with torch.no_grad():
        out = model(video, labels=model.encode_labels(UNKNOWN))
        out_edited = model(video, labels=model.encode_labels(edited))
    assert model.encode_labels(edited) is not model.encode_labels(UNKNOWN)  # cached per whole label space
    torch.testing.assert_close(out_edited.coarse_logits, out.coarse_logits)  # the coarse branch is untouched ...
    assert not torch.allclose(out_edited.fine_logits, out.fine_logits)  # ... the fine branch reads the captions
    assert not torch.allclose(out_edited.logits, out.logits)  # ... and moves the coarse decision
    regrouped = replace(UNKNOWN, set_fine_parents=(0, 1, 1, 2, 2))  # same captions, another hierarchy
    with torch.no_grad():
        out_regrouped = model(video, labels=model.encode_labels(regrouped))
    torch.testing.assert_close(out_regrouped.fine_logits, out.fine_logits)
    assert not torch.allclose(out_regrouped.logits, out.logits)


def test_zero_fusion_weight_is_the_coarse_branch_and_untrained_it_is_ezclip():
    torch.manual_seed(0)
    model = registry.build(TINY, fusion_weight=0.0).eval()
    ezclip = registry.build("ezclip_b16_tiny").eval()
    extra = ezclip.load_state_dict(model.state_dict(), strict=False).unexpected_keys
    assert sorted(extra) == ["coarse_proj.weight", "fine_proj.weight"]
    video = _video()
    with torch.no_grad():
        out = model(video, labels=KNOWN)
        torch.testing.assert_close(out.logits, out.coarse_logits, rtol=0, atol=0)
        # identity projections at initialisation: the coarse branch is EZ-CLIP's classifier
        torch.testing.assert_close(out.logits, ezclip(video, labels=KNOWN).logits)
    trained = _trained_copy(model)
    with torch.no_grad():
        out = trained(video, labels=UNKNOWN)
        torch.testing.assert_close(out.logits, out.coarse_logits, rtol=0, atol=0)
        trained.fusion_weight = 1.0
        assert not torch.allclose(trained(video, labels=UNKNOWN).logits, out.logits)


def test_hierarchy_matrix_sums_fine_probabilities_onto_parents():
    parents = torch.tensor([0, 2, 2, 1])
    h = hierarchy_matrix(parents, 3)
    assert torch.equal(h, torch.tensor([[1.0, 0, 0, 0], [0, 0, 0, 1], [0, 1, 1, 0]]))
    p_fine = torch.tensor([[0.1, 0.2, 0.3, 0.4], [0.7, 0.0, 0.1, 0.2]])
    torch.testing.assert_close(p_fine @ h.t(), torch.tensor([[0.1, 0.4, 0.5], [0.7, 0.2, 0.1]]))
    coarse_logits = torch.tensor([[1.0, 2.0, 3.0], [0.0, 0.5, -1.0]])
    fused = fuse_coarse(coarse_logits, p_fine.log(), h, 0.5)  # softmax of log-probabilities is the probabilities
    torch.testing.assert_close(fused, coarse_logits + 0.5 * torch.log(p_fine @ h.t() + FUSION_EPS))
    with torch.autocast("cpu", dtype=torch.bfloat16):  # the fusion stays in fp32 under mixed precision
        torch.testing.assert_close(fuse_coarse(coarse_logits, p_fine.log(), h, 0.5), fused, rtol=0, atol=0)
    # a coarse class without fine classes in the set is vetoed by the fine branch
    no_child = fuse_coarse(coarse_logits, p_fine.log(), hierarchy_matrix(torch.tensor([0, 0, 2, 2]), 3), 1.0)
    assert (no_child.argmax(1) != 1).all() and no_child[:, 1].max() < -10
    # the fine task fuses the other way round: each caption gets its parent's coarse log-probability
    fine_logits = torch.randn(2, 4)
    torch.testing.assert_close(fuse_fine(fine_logits, coarse_logits, parents, 2.0),
                               fine_logits + 2.0 * coarse_logits.log_softmax(1)[:, [0, 2, 2, 1]])
    with pytest.raises(ValueError, match=r"coarse ids in \[0, 3\)"):
        hierarchy_matrix(torch.tensor([0, 3]), 3)


def test_loss_terms_and_their_weights():
    torch.manual_seed(0)
    model = _trained_copy(registry.build(TINY)).train()
    output = model(_video(), labels=model.encode_labels(KNOWN))
    target, fine = torch.tensor([0, 1]), torch.tensor([0, 2])
    plain = {k: v.detach() for k, v in model.loss(output, target, CRITERION, fine=fine).items()}
    torch.testing.assert_close(plain["coarse"], video_text_kl(output.coarse_logits, target).detach())
    torch.testing.assert_close(plain["fine"], video_text_kl(output.fine_logits, fine).detach())
    torch.testing.assert_close(plain["decorrelation"],
                               squared_cosine(output.coarse_features, output.fine_features).detach())
    assert 0 < plain["decorrelation"] < 1 and plain["coarse"] > 0 and plain["fine"] > 0
    model.coarse_weight, model.fine_weight, model.decorrelation_weight = 2.0, 0.5, 3.0
    weighted = model.loss(output, target, CRITERION, fine=fine)
    for key, w in (("coarse", 2.0), ("fine", 0.5), ("decorrelation", 3.0), ("motion", 1.0)):
        torch.testing.assert_close(weighted[key].detach(), w * plain[key])
    model.decorrelation_weight = 0.0  # "off": the term stays in the log at zero
    assert model.loss(output, target, CRITERION, fine=fine)["decorrelation"] == 0
    with pytest.raises(ValueError, match="fine="):
        model.loss(output, target, CRITERION)


def test_decorrelation_starts_at_one_and_training_it_moves_the_branches_apart():
    model = registry.build(TINY, coarse_weight=0.0, fine_weight=0.0).train()
    video = _video(batch=4)
    out = model(video, labels=KNOWN)
    loss = model.loss(out, torch.tensor([0, 1, 2, 0]), CRITERION, fine=torch.tensor([0, 1, 3, 0]))
    assert 0.95 < loss["decorrelation"].item() < 1  # (almost) identity projections: nearly the same embedding
    optimizer = torch.optim.SGD([model.coarse_proj.weight, model.fine_proj.weight], lr=0.5)
    for _ in range(20):
        optimizer.zero_grad()
        loss["decorrelation"].backward()
        optimizer.step()
        out = model(video, labels=KNOWN)
        loss = model.loss(out, torch.tensor([0, 1, 2, 0]), CRITERION, fine=torch.tensor([0, 1, 3, 0]))
    assert loss["decorrelation"].item() < 0.5


def test_fine_task_scores_the_set_captions_with_the_coarse_branch_as_auxiliary():
    model = _trained_copy(registry.build(TINY)).train()
    fine_space = LabelSpace("fine", 2, SET2_FINE, UNKNOWN.set_fine_parents, COARSE)  # no set_fine needed
    output = model(_video(), labels=model.encode_labels(fine_space))
    assert output.logits.shape == output.fine_logits.shape == (2, 5) and output.coarse_logits.shape == (2, 3)
    torch.testing.assert_close(output.logits, fuse_fine(output.fine_logits, output.coarse_logits,
                                                        torch.tensor(UNKNOWN.set_fine_parents), 1.0))
    target = torch.tensor([1, 4])  # fine classes; their parents 0 and 2 are the coarse targets
    losses = model_loss(model, output, target, CRITERION, fine=target)
    torch.testing.assert_close(losses["coarse"], video_text_kl(output.coarse_logits, torch.tensor([0, 2])))
    torch.testing.assert_close(losses["fine"], video_text_kl(output.fine_logits, target))


def test_clear_errors():
    model = registry.build(TINY).eval()
    with pytest.raises(ValueError, match="set_fine is empty"):
        model.encode_labels(LabelSpace("coarse", 1, COARSE, (0, 1, 2), COARSE))
    with pytest.raises(ValueError, match="5 fine captions but 4 parents"):
        model.encode_labels(replace(UNKNOWN, set_fine_parents=(0, 1, 2, 2)))
    with pytest.raises(ValueError, match="its own encode_labels"):
        model(_video(), labels=torch.randn(3, 32))
    with pytest.raises(ValueError, match="non-negative"):
        registry.build(TINY, fusion_weight=-1.0)
    with pytest.raises(ValueError, match="no pretrained weights"):
        registry.build(TINY, pretrained=True)


@pytest.mark.blender
def test_bench_trains_on_both_labels_and_scores_the_unknown_set(tiny_synta, tmp_path):
    from synta.cli import cli

    out = tmp_path / "run"
    result = CliRunner().invoke(cli, ["bench", "--model", TINY, "--loader-workers", "0", "--data-root", str(tiny_synta),
                                      "--output", str(out), "--epochs", "1", "--set-direction", "1"])
    assert result.exit_code == 0, result.output
    direction = json.loads((out / "results.json").read_text())["tasks"]["coarse"]["directions"]["set1"]
    assert direction["unknown"]["set"] == 2 and direction["unknown"]["num_videos"] == 6
    assert direction["metrics"]["hm"] is not None


@pytest.mark.slow
def test_full_size_adds_two_projections_to_ezclip():
    from synta.models.base import count_parameters

    ours, base = registry.build("disentangle_b16"), registry.build("ezclip_b16")
    extra = 2 * 512 * 512
    assert count_parameters(ours) == count_parameters(base) + extra
    assert count_parameters(ours, trainable=True) == count_parameters(base, trainable=True) + extra
    assert count_parameters(ours, trainable=True) / 1e6 == pytest.approx(5.73, abs=0.01)
