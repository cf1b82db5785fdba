"""The domain-generalisation baselines (VideoDG, STDN, CIR), the cached-feature pipeline CIR trains on
(``synta features extract`` and the feature loader), and all three through ``synta bench`` on MP4s encoded by
the test. Fast tests use the tiny variants; full sizes (parameter counts) are marked slow."""
from __future__ import annotations

import json
import logging
import math
from pathlib import Path
from urllib.error import URLError

import numpy as np
import pytest
import torch
from click.testing import CliRunner
from torchvision.models.resnet import BasicBlock, ResNet

from synta.benchmark.data.dataset import build_loader
from synta.benchmark.features import (
    FeatureClips,
    build_feature_loader,
    extract_features,
    extraction_clip,
    load_features,
    pooled_features,
    read_index,
)
from synta.benchmark.data.labels import synta_classes
from synta.benchmark.data.manifest import Manifest, Video, read_manifest
from synta.benchmark.engine.optim import build_optimizer
from synta.benchmark.protocol import label_space
from synta.benchmark.recipe import model_recipe
from synta.cli import cli
from synta.models import registry
from synta.models.base import count_parameters, model_loss
from synta.models.cir import CrossInstanceReconstruction
from synta.models.stdn import SpatialGrouping, VideoMixStyle, entropy
from synta.models.weights import WeightsError
from tests.data_helpers import encode

TSN_TINY = ("videodg_r50_tiny", "stdn_r50_tiny")
AUX = {"videodg_r50_tiny": {"ce", "rada"}, "stdn_r50_tiny": {"ce", "entropy", "diversity", "cross_relation"},
       "cir_tiny": {"ce", "cir", "text"}}
CE = torch.nn.CrossEntropyLoss()


pytestmark = pytest.mark.usefixtures("one_thread")


def clip(name: str, batch: int = 2, seed: int = 0) -> torch.Tensor:
    """A random clip at the recipe's input: ``(B, T, 3, H, W)`` (TSN layout)."""
    recipe = model_recipe(name)
    assert recipe.clip.layout == "TCHW" and recipe.clip.sampler == "uniform"
    size = recipe.clip.transform.size
    return torch.randn(batch, recipe.clip.frames, 3, size, size, generator=torch.Generator().manual_seed(seed))


def build(name: str, num_classes: int | None = 5, **kwargs) -> torch.nn.Module:
    return registry.build(name, num_classes, **{**model_recipe(name).model, **kwargs})


def eval_logits(model: torch.nn.Module, *args, **kwargs) -> torch.Tensor:
    model.eval()
    with torch.no_grad():
        return model(*args, **kwargs).logits


def train_step(model: torch.nn.Module, name: str, losses: dict[str, torch.Tensor]) -> None:
    """Backward and one optimiser step of the recipe's optimiser: every trainable parameter gets a finite
    gradient, and the step changes the weights."""
    assert set(losses) == AUX[name] and all(torch.isfinite(v) for v in losses.values())
    sum(losses.values()).backward()
    params = [p for p in model.parameters() if p.requires_grad]
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in params)
    assert sum(float(p.grad.square().sum()) for p in params) > 0
    before = [p.detach().clone() for p in params]
    build_optimizer(model, model_recipe(name).optim).step()
    assert any(not torch.equal(b, p) for b, p in zip(before, params))


# ---------------------------------------------------------------- VideoDG and STDN (TSN frame encoders)


@pytest.mark.parametrize("name", TSN_TINY)
def test_tsn_models_train_step_and_reload(name, tmp_path):
    torch.manual_seed(0)
    model = build(name)
    x, target = clip(name), torch.tensor([1, 3])
    out = model.train()(x)
    assert out.logits.shape == (2, 5)
    train_step(model, name, model_loss(model, out, target, CE))
    # evaluation: deterministic (every relation subset is used), no auxiliary terms
    logits = eval_logits(model, x)
    assert torch.equal(logits, eval_logits(model, x))
    assert set(model_loss(model, model(x), target, CE)) == {"ce"}
    path = tmp_path / "model.pt"
    torch.save(model.state_dict(), path)
    assert torch.equal(eval_logits(build(name, weights=path), x), logits)


@pytest.mark.parametrize("name", TSN_TINY)
def test_tsn_input_checks_and_pretrained_errors(name):
    model = build(name)
    with pytest.raises(ValueError, match="segments"):
        model(torch.zeros(1, 7, 3, 32, 32))
    with pytest.raises(ValueError, match="TCHW"):
        model(torch.zeros(1, 3, 3, 32, 32).transpose(1, 2)[:, :, :2])
    with pytest.raises(ValueError, match="has no pretrained weights"):
        registry.build(name, 5, pretrained=True)


def test_imagenet_pretrained_error_is_clear(monkeypatch):
    def offline(*args, **kwargs):
        raise URLError("no network")

    monkeypatch.setattr(torch.hub, "load_state_dict_from_url", offline)
    with pytest.raises(RuntimeError, match=r"resnet50-0676ba61\.pth .*weights=PATH"):
        registry.build("videodg_r50", 5, pretrained=True)


def test_torchvision_resnet_checkpoint_loads_into_the_encoder(tmp_path):
    imagenet = ResNet(BasicBlock, [1, 1, 1, 1])  # what a torchvision ImageNet file holds, fc included
    torch.save(imagenet.state_dict(), tmp_path / "resnet.pth")
    model = build("videodg_r50_tiny", weights=tmp_path / "resnet.pth")
    assert all(torch.equal(v, imagenet.state_dict()[k]) for k, v in model.encoder.net.state_dict().items())
    with pytest.raises(WeightsError, match="frame encoder"):
        torch.save(ResNet(BasicBlock, [2, 2, 2, 2]).state_dict(), tmp_path / "resnet18.pth")
        build("videodg_r50_tiny", weights=tmp_path / "resnet18.pth")


def test_partial_bn_freezes_all_but_the_first_norm():
    model = build("videodg_r50_tiny", partial_bn=True).train()
    norms = [m for m in model.encoder.modules() if isinstance(m, torch.nn.BatchNorm2d)]
    assert norms[0].training and norms[0].weight.requires_grad
    assert all(not m.training and not m.weight.requires_grad for m in norms[1:])
    stats = [m.running_mean.clone() for m in norms]
    model(clip("videodg_r50_tiny"))
    assert not torch.equal(norms[0].running_mean, stats[0])
    assert all(torch.equal(m.running_mean, s) for m, s in zip(norms[1:], stats[1:]))


def test_tsn_learning_rate_policy_doubles_biases():
    model = build("stdn_r50_tiny")
    optimizer = build_optimizer(model, model_recipe("stdn_r50_tiny").optim)
    lr = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    base = model_recipe("stdn_r50_tiny").optim.lr
    assert lr[id(model.classifier.bias)] == 2 * base and lr[id(model.classifier.weight)] == base
    assert lr[id(model.encoder.net.bn1.bias)] == base  # norm parameters are not "biases"


def test_videodg_adversary_raises_the_loss_and_can_be_off():
    torch.manual_seed(0)
    model = build("videodg_r50_tiny", adv_lr=50.0).eval()  # eval: the APN is deterministic
    target = torch.tensor([0, 4])
    with torch.no_grad():
        features = model.segment_features(clip("videodg_r50_tiny"))
        clean = model.apn(features)
    for branch, logits in (("pyramid", "logits"), ("cross", "cross_logits")):
        delta = model.perturbation(features, target, CE, clean, branch)
        with torch.no_grad():
            assert CE(getattr(model.apn(features + delta), logits), target) > CE(getattr(clean, logits), target)
    off = build("videodg_r50_tiny", adv_weight=0.0).train()
    assert set(model_loss(off, off(clip("videodg_r50_tiny")), target, CE)) == {"ce"}


def test_stdn_pieces():
    # spatial grouping: a distribution over groups per position, one token per group
    tokens, assignment = SpatialGrouping(8, 4, 3, tau=0.5)(torch.randn(2, 8, 2, 2))
    assert tokens.shape == (2, 3, 8) and assignment.shape == (2, 4, 3)
    torch.testing.assert_close(assignment.sum(-1), torch.ones(2, 4))
    uniform = torch.full((5, 4), 0.25)
    torch.testing.assert_close(entropy(uniform, dim=1), torch.full((5,), math.log(4)), atol=1e-4, rtol=0)
    # style mixing changes each video's statistics but not its normalised content; evaluation is the identity
    mix = VideoMixStyle(num_segments=3, p=1.0, alpha=0.1).train()
    x = torch.randn(12, 4, 5, 5) * torch.arange(1.0, 5.0).repeat(3)[:, None, None, None]
    torch.manual_seed(3)
    y = mix(x)

    def normalised(t: torch.Tensor) -> torch.Tensor:
        v = t.unflatten(0, (4, 3))
        return (v - v.mean(dim=(1, 3, 4), keepdim=True)) / v.std(dim=(1, 3, 4), keepdim=True)

    assert not torch.allclose(y, x)
    torch.testing.assert_close(normalised(y), normalised(x), atol=1e-4, rtol=1e-4)
    assert torch.equal(mix.eval()(x), x)


# ---------------------------------------------------------------- CIR


def test_cir_trains_scores_any_label_space_and_reloads(tmp_path):
    torch.manual_seed(0)
    model = build("cir_tiny", None)
    classes = synta_classes()
    coarse = label_space(classes, "coarse", 1)
    x, target = torch.randn(4, 288), torch.tensor([0, 3, 3, 7])
    out = model.train()(x, labels=model.encode_labels(coarse))
    assert out.logits.shape == (4, 20) and set(out.reconstructed) == {"cir", "text"}
    train_step(model, "cir_tiny", model_loss(model, out, target, CE))
    assert all(p.grad is None for p in model.text.parameters())  # the CLIP text tower stays frozen
    # evaluation: no reconstruction; any label space, including fine classes never trained on
    unknown = label_space(classes, "fine", 2)
    assert eval_logits(model, x, labels=model.encode_labels(unknown)).shape == (4, len(unknown))
    assert set(model_loss(model, model(x, labels=coarse), target, CE)) == {"ce"}
    torch.save(model.state_dict(), tmp_path / "cir.pt")
    loaded = build("cir_tiny", None, weights=tmp_path / "cir.pt")
    torch.testing.assert_close(eval_logits(loaded, x, labels=coarse), eval_logits(model, x, labels=coarse))
    with pytest.raises(ValueError, match=r"cached clip features \(B, 288\)"):
        model(torch.zeros(2, 3, 8, 32, 32), labels=coarse)


def test_cross_instance_reconstruction_uses_only_other_videos():
    rec = CrossInstanceReconstruction(dim=5, bottleneck=4)
    z = torch.eye(5)  # one-hot rows: the reconstruction of row i shows the weight given to each video
    weights = rec(z)
    assert torch.all(weights.diagonal() == 0)
    torch.testing.assert_close(weights.sum(1), torch.ones(5))


def test_cir_pretrained_error_is_clear(monkeypatch):
    import open_clip

    def offline(*args, **kwargs):
        raise OSError("no network")

    monkeypatch.setattr(open_clip, "create_model", offline)
    with pytest.raises(RuntimeError, match="ViT-B/32 .*network access"):
        registry.build("cir", pretrained=True)
    with pytest.raises(ValueError, match="cir_tiny has no pretrained weights"):
        registry.build("cir_tiny", pretrained=True)


# ---------------------------------------------------------------- cached features on encoded MP4s

EXTRACTOR = "slowfast_r50_tiny"


@pytest.fixture(scope="module")
def dataset(tmp_path_factory) -> Path:
    """A manifest over 8 MP4s (rising1/falling1 of Set 1: 4 train + 2 val; rising3/falling3 of Set 2: 2 val)
    and one undecodable file in Set 2's val split."""
    root = tmp_path_factory.mktemp("dg_videos")
    classes = synta_classes()
    fine = {f.name: f for f in classes.fine}
    rows = [(n, split, k) for n in ("rising1", "falling1") for split, k in (("train", 1), ("train", 2), ("val", 3))]
    rows += [(n, "val", 1) for n in ("rising3", "falling3")]
    videos = []
    for n, split, k in rows:
        path = f"{n}/{n}_id_{k}.mp4"
        encode(root / path, frames=24, width=48, height=36)
        videos.append(Video(path, split, fine[n].set, fine[n].coarse, fine[n].index, 24))
    (root / "falling3").mkdir(exist_ok=True)
    (root / "falling3/broken_id_9.mp4").write_text("not a video")
    videos.append(Video("falling3/broken_id_9.mp4", "val", 2, fine["falling3"].coarse, fine["falling3"].index, 24))
    assert [fine[n].set for n in ("rising1", "falling1", "rising3", "falling3")] == [1, 1, 2, 2]
    Manifest("synta", root, classes, tuple(videos)).save(root / "manifest.csv")
    return root / "manifest.csv"


@pytest.fixture(scope="module")
def extractor_weights(tmp_path_factory) -> Path:
    torch.manual_seed(5)
    path = tmp_path_factory.mktemp("weights") / "slowfast_tiny.pt"
    torch.save(registry.build(EXTRACTOR, 400).state_dict(), path)
    return path


def test_extracted_features_are_the_heads_input_and_extraction_resumes(dataset, extractor_weights, tmp_path):
    manifest = read_manifest(dataset)
    out = tmp_path / "cache"
    first = extract_features(manifest.with_videos(manifest.videos[:5]), EXTRACTOR, out, weights=extractor_weights,
                             batch_size=2, num_workers=0, part_size=2)
    assert (first.extracted, first.cached, first.failed) == (5, 0, 0)
    assert len(read_index(out)["parts"]) == 3  # parts of 2, 2 and 1 videos
    early, _ = load_features(out, manifest.videos[:5])
    done = extract_features(manifest, EXTRACTOR, out, weights=extractor_weights, batch_size=2, num_workers=0)
    assert (done.extracted, done.cached, done.failed) == (3, 5, 1)
    features, failed = load_features(out, manifest.videos)
    assert features.shape == (9, 1, 288) and failed.tolist() == [False] * 8 + [True]
    assert np.array_equal(features[:5], early) and not features[-1].any()
    assert not list(out.glob(".*tmp*"))
    # the cached vector is what the backbone's classifier reads: head(feature) == the model's logits
    model = registry.build(EXTRACTOR, 400, weights=extractor_weights).eval()
    batch = next(iter(build_loader(manifest, task="coarse", train=False, clip=extraction_clip(EXTRACTOR),
                                   batch_size=2, num_workers=0)))
    with torch.no_grad():
        logits = model(batch["video"][:, 0])
        torch.testing.assert_close(model.head.fc(torch.from_numpy(features[:2, 0])), logits, rtol=1e-4, atol=1e-5)
    assert extract_features(manifest, EXTRACTOR, out, weights=extractor_weights).extracted == 0
    with pytest.raises(ValueError, match="another configuration .*weights"):
        extract_features(manifest, EXTRACTOR, out)


def test_feature_loader_batches_like_the_clip_loader(dataset, extractor_weights, tmp_path):
    manifest = read_manifest(dataset)
    data = {"source": "features", "extractor": EXTRACTOR, "dir": str(tmp_path / "cache"),
            "weights": str(extractor_weights)}
    common = {"task": "coarse", "batch_size": 2, "num_workers": 0, "seed": 1}
    train = build_feature_loader(manifest, data, train=True, split="train", set_id=1, **common)
    assert len(train) == 2 and train.dataset.normalize(torch.ones(2)).equal(torch.ones(2))
    epochs = []
    for epoch in (0, 0, 1):
        train.sampler.set_epoch(epoch)
        epochs.append([(b["video"].shape, b["index"].tolist(), b["label"].tolist()) for b in train])
    assert epochs[0] == epochs[1] and epochs[0] != epochs[2]  # seeded order, reshuffled per epoch
    assert all(shape == (2, 288) for batch in epochs[0] for shape in [batch[0]])
    unknown = build_feature_loader(manifest, data, train=False, split="val", set_id=2, **common)
    batches = list(unknown)
    assert [tuple(b["video"].shape) for b in batches] == [(2, 1, 288), (1, 1, 288)]
    assert sum(int(b["failed"].sum()) for b in batches) == 1


def test_failed_videos_are_replaced_in_training_and_counted_in_evaluation(dataset):
    manifest = read_manifest(dataset).select("train", 1)
    features = np.arange(4 * 2 * 3, dtype=np.float32).reshape(4, 2, 3)  # 4 videos, 2 views, 3 dims
    failed = np.array([False, True, False, False])
    train = FeatureClips(manifest, "coarse", True, features, failed)
    samples = [train[(1, 0, epoch)] for epoch in range(5)]
    assert all(s["index"] != 1 and s["failed"] >= 1 for s in samples)
    assert all(any(torch.equal(s["video"], torch.from_numpy(features[s["index"], v])) for v in (0, 1))
               for s in samples)
    assert train[(2, 0, 3)]["video"].equal(train[(2, 0, 3)]["video"])  # seeded by (seed, epoch, index)
    test = FeatureClips(manifest, "coarse", False, features, failed)
    assert test[1]["failed"] == 1 and test[0]["video"].shape == (2, 3)
    with pytest.raises(ValueError, match="every video"):
        FeatureClips(manifest, "coarse", True, features, np.ones(4, bool))
    with pytest.raises(ValueError, match="no forward_features"):
        pooled_features(build("videodg_r50_tiny"), clip("videodg_r50_tiny"))


def test_feature_loader_extracts_a_missing_cache_once(dataset, extractor_weights, tmp_path, caplog):
    manifest = read_manifest(dataset)
    data = {"source": "features", "extractor": EXTRACTOR, "dir": str(tmp_path / "auto"),
            "weights": str(extractor_weights)}
    with caplog.at_level(logging.INFO, logger="synta.benchmark.features"):
        build_feature_loader(manifest, data, task="fine", train=False, split="val", set_id=1, batch_size=4)
    assert "extracting slowfast_r50_tiny features" in caplog.text
    assert len(read_index(tmp_path / "auto")["videos"]) == 8  # the whole manifest, not only the selection
    with pytest.raises(ValueError, match="synta features extract --model slowfast_r50_tiny"):
        build_feature_loader(manifest, {**data, "dir": str(tmp_path / "other")}, task="coarse", train=True,
                             world_size=2)
    with pytest.raises(ValueError, match="unknown data setting"):
        build_feature_loader(manifest, {**data, "views": 3}, task="coarse", train=True)


def test_features_extract_cli(dataset, extractor_weights, tmp_path):
    args = ["features", "extract", "--model", EXTRACTOR, "--data-root", str(dataset), "--out", str(tmp_path / "c"),
            "--weights", str(extractor_weights), "--loader-workers", "0", "--batch-size", "4", "--device", "cpu"]
    first = CliRunner().invoke(cli, args)
    assert first.exit_code == 0, first.output
    assert "8 videos extracted, 0 already cached, 1 failed to decode" in first.output
    again = CliRunner().invoke(cli, args)
    assert "0 videos extracted, 9 already cached" in again.output
    bad = CliRunner().invoke(cli, ["features", "extract", "--data-root", str(tmp_path / "nothing")])
    assert bad.exit_code == 2 and "no manifest" in bad.output


# ---------------------------------------------------------------- through `synta bench`


@pytest.mark.parametrize("name", ["videodg_r50_tiny", "stdn_r50_tiny", "cir_tiny"])
def test_bench_runs_each_baseline(name, dataset, tmp_path):
    out = tmp_path / "run"
    args = ["bench", "--model", name, "--data-root", str(dataset), "--output", str(out), "--loader-workers", "0",
            "--epochs", "1", "--set-direction", "1", "--task", "both"]
    if name == "cir_tiny":  # features extracted on first use, into a folder of this test
        args += ["--set", f"data.dir={tmp_path / 'features'}"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 0, result.output
    results = json.loads((out / "results.json").read_text())
    coarse = results["tasks"]["coarse"]["directions"]["set1"]
    assert coarse["known"]["num_videos"] == 2 and coarse["unknown"]["num_videos"] == 3
    assert coarse["unknown"]["failed_videos"] == 1
    fine = results["tasks"]["fine"]["directions"]["set1"]
    assert (fine["unknown"] is not None) == (name == "cir_tiny")  # only CIR scores unseen fine classes (by text)
    assert (out / "coarse" / "set1" / "checkpoints" / "last.pt").is_file()


# ---------------------------------------------------------------- full sizes


@pytest.mark.slow
@pytest.mark.parametrize("name", ["videodg_r50", "stdn_r50", "cir"])
def test_full_size_parameter_counts(name, capsys):
    model = build(name, None if name == "cir" else 20)
    total, trainable = count_parameters(model), count_parameters(model, trainable=True)
    with capsys.disabled():
        print(f"\n{name}: {total / 1e6:.2f} M parameters, {trainable / 1e6:.2f} M trainable")
    expected = {"videodg_r50": (25.0, 28.0), "stdn_r50": (130.0, 150.0), "cir": (70.0, 80.0)}[name]
    assert expected[0] < total / 1e6 < expected[1]
    if name == "cir":
        x = torch.randn(2, 2304)
        space = label_space(synta_classes(), "coarse", 1)
        assert eval_logits(model, x, labels=model.encode_labels(space)).shape == (2, 20)
    else:
        assert eval_logits(model, torch.randn(1, 5, 3, 224, 224)).shape == (1, 20)
