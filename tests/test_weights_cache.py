"""``synta weights list`` / ``import``: files land where ``pretrained=True`` reads them, verified, nothing downloads.

Torch's hub dir and the Hugging Face cache point at temporary folders; the checkpoints are tiny state dicts
written here under the names the registry expects.
"""
from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import huggingface_hub
import pytest
import torch
from huggingface_hub import constants as hf_constants
from safetensors.torch import save_file

from synta.cli import main
from synta.models.registry import get_info, list_models
from synta.models.weights_cache import WeightsFile, clip_arch, expected_weights, torch_hub_file, verify

CLIP_REPO = "timm/vit_base_patch16_clip_224.openai"


@pytest.fixture
def caches(tmp_path, monkeypatch):
    """Empty torch hub and HF caches for the test (restored afterwards)."""
    old = torch.hub.get_dir()
    torch.hub.set_dir(str(tmp_path / "torch_hub"))
    monkeypatch.setattr(hf_constants, "HF_HUB_CACHE", str(tmp_path / "hf"))
    yield tmp_path
    torch.hub.set_dir(old)


def tiny_state() -> dict[str, torch.Tensor]:
    return {"conv.weight": torch.randn(4, 3, 1, 1), "conv.bias": torch.zeros(4)}


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    try:
        main(list(args))
        code = 0
    except SystemExit as exit_:
        code = exit_.code
    out = capsys.readouterr()
    return code, out.out, out.err


def test_torch_hub_names_give_the_hash_prefix_or_none():
    assert torch_hub_file(get_info("stdn_r50").weights_url).sha256 == "0676ba61"
    assert torch_hub_file(get_info("mvitv2_s").weights_url).sha256 == "ae3be167"
    unknown = torch_hub_file(get_info("slowfast_r50").weights_url)
    assert unknown.sha256 == "" and unknown.hash_text == "unknown (no published hash)"


def test_every_model_with_a_canonical_source_is_listed(caches):
    listed = {m.model for m in expected_weights()}
    sourced = {i.name for i in list_models() if i.weights_url or "open_clip 'openai'" in i.pretrained}
    assert listed == sourced and len(listed) >= 17
    assert {clip_arch(get_info(n)) for n in listed} == {None, "ViT-B-16", "ViT-B-32"}


def test_verify_checks_the_hash_prefix_and_the_state_dict(tmp_path):
    path = tmp_path / "w.pth"
    torch.save(tiny_state(), path)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    assert verify(path, WeightsFile(f"w-{digest[:8]}.pth", "", path, False, digest[:8])) is None
    wrong = "0" * 8 if not digest.startswith("0" * 8) else "1" * 8
    assert "does not start with the published" in verify(path, WeightsFile("w.pth", "", path, False, wrong))
    garbage = tmp_path / "g.pth"
    garbage.write_bytes(b"not a checkpoint")
    assert "not a loadable weights file" in verify(garbage, WeightsFile("g.pth", "", garbage, False))


def test_import_puts_files_where_pretrained_reads_them(caches, capsys):
    src = caches / "offline"
    (src / "vit_base_patch16_clip_224.openai").mkdir(parents=True)
    slowfast = tiny_state()
    torch.save({"model_state": slowfast}, src / "SLOWFAST_8x8_R50.pyth")
    (src / "resnet50-0676ba61.pth").write_bytes(b"x" * 64)  # wrong hash
    (src / "X3D_M.pyth").write_bytes(b"not a checkpoint")
    (src / "notes.txt").write_text("hello")
    clip = {"visual.proj": torch.randn(8, 4)}
    save_file(clip, src / "vit_base_patch16_clip_224.openai" / "open_clip_model.safetensors")
    torch.save(clip, src / "open_clip_pytorch_model.bin")  # which CLIP it is cannot be told from the name

    code, out, err = run_cli(capsys, "weights", "import", str(src))
    assert code == 1 and len(err.strip().splitlines()) == 1 and "3 of 5 weights files rejected" in err
    lines = {line.split()[1].rstrip(":"): line.split()[0] for line in out.splitlines()[:-1]}
    assert lines == {"SLOWFAST_8x8_R50.pyth": "imported", "resnet50-0676ba61.pth": "rejected",
                     "X3D_M.pyth": "rejected", "notes.txt": "ignored",
                     "vit_base_patch16_clip_224.openai/open_clip_model.safetensors": "imported",
                     "open_clip_pytorch_model.bin": "rejected"}
    assert "does not start with the published 0676ba61" in out and "several Hugging Face repos" in out

    # torch hub finds the file in its cache (it downloads only when the file is missing)
    loaded = torch.hub.load_state_dict_from_url(get_info("slowfast_r50").weights_url, map_location="cpu",
                                                weights_only=True, progress=False)
    assert torch.equal(loaded["model_state"]["conv.weight"], slowfast["conv.weight"])
    # and the HF client resolves the CLIP file from its cache, as open_clip asks for it
    found = huggingface_hub.hf_hub_download(CLIP_REPO, "open_clip_model.safetensors", local_files_only=True)
    assert Path(found).read_bytes() == (src / "vit_base_patch16_clip_224.openai" /
                                        "open_clip_model.safetensors").read_bytes()
    assert not list(Path(found).parent.glob(".*tmp*"))

    code, out, _ = run_cli(capsys, "weights", "list", "--json")
    present = {m["model"]: m["present"] for m in json.loads(out)}
    assert code == 0 and present["slowfast_r50"] and present["aim_b16"] and not present["x3d_m"]
    assert not present["cir"]  # ViT-B/32 is another repo

    (src / "X3D_M.pyth").unlink()
    (src / "resnet50-0676ba61.pth").unlink()
    (src / "open_clip_pytorch_model.bin").unlink()
    code, out, err = run_cli(capsys, "weights", "import", str(src))
    assert code == 0 and err == "" and out.count("present ") == 2 and "0 imported, 2 present" in out


def test_missing_folder_is_one_error_line_with_exit_code_2(caches, capsys):
    code, out, err = run_cli(capsys, "weights", "import", str(caches / "nope"))
    assert code == 2 and err.strip().splitlines() == [f"synta: error: {caches / 'nope'}: no such folder"]


def test_list_follows_torch_home_and_hf_home_in_a_subprocess(tmp_path):
    env = {**os.environ, "TORCH_HOME": str(tmp_path / "th"), "HF_HOME": str(tmp_path / "hfh")}
    env.pop("HF_HUB_CACHE", None)
    checkpoints = tmp_path / "th" / "hub" / "checkpoints"
    checkpoints.mkdir(parents=True)
    torch.save(tiny_state(), checkpoints / "X3D_M.pyth")
    out = subprocess.run([sys.executable, "-m", "synta.cli", "weights", "list"], capture_output=True, text=True,
                         env=env, timeout=300)
    assert out.returncode == 0, out.stderr
    assert f"path    {checkpoints / 'X3D_M.pyth'}  (present)" in out.stdout
    assert str(tmp_path / "hfh" / "hub" / "models--timm--vit_base_patch16_clip_224.openai") in out.stdout
    assert "X3D_M.pyth: present" in out.stdout and "C2D_8x8_R50.pyth: MISSING" in out.stdout
