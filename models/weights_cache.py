"""Where ``pretrained=True`` looks for each model's canonical weights, and filling those caches offline.

Two caches are read. Weights with a ``weights_url`` (torch hub style) are read by
``torch.hub.load_state_dict_from_url`` from ``<torch.hub.get_dir()>/checkpoints/<basename of the URL>``; it
does not download when that file exists. Torch hub names may embed a SHA-256 prefix (``resnet50-0676ba61.pth``:
``torch.hub.HASH_REGEX``). OpenAI CLIP weights come through open_clip, which asks the Hugging Face hub for
``open_clip_model.safetensors`` then ``open_clip_pytorch_model.bin`` of its ``hf_hub`` repo (read from the HF
cache when the hub is unreachable), or, without ``huggingface_hub`` installed, downloads the OpenAI URL into
``~/.cache/clip`` (the URL's folder is the file's full SHA-256). What open_clip reads is taken from the
installed open_clip itself, so this module follows it.

:func:`expected_weights` lists the files per model; :func:`import_weights` verifies files brought from a
machine with network access and copies them atomically into place.
"""
from __future__ import annotations

import filecmp
import hashlib
import os
import re
import shutil
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import torch

from synta.errors import InputError
from synta.files import replace_durably, write_atomic
from synta.models.registry import ModelInfo, list_models
from synta.models.weights import WeightsError, read_state_dict

UNKNOWN_HASH = "unknown (no published hash)"
# The revision an imported HF file is filed under when the source did not come from an HF cache (the real
# commit id is not knowable offline; the HF client reads refs/main, whatever it names, when it cannot connect).
IMPORT_REVISION = "synta-offline-import"
# The registry records the CLIP source of a model only in its description ("OpenAI CLIP ViT-B/16 ...
# (open_clip 'openai')"); the architecture is read from there so it is stated once.
_CLIP_SOURCE = re.compile(r"OpenAI CLIP (ViT-[A-Z]+/\d+)\b.*open_clip 'openai'")
_HF_SNAPSHOT = re.compile(r"^models--.+$")


@dataclass(frozen=True)
class WeightsFile:
    """One file ``pretrained=True`` reads: its name, where it comes from and where it is looked for.

    ``sha256`` is the full hash or a published prefix of it ('' when none is published). ``hf_repo`` is set
    for Hugging Face files, whose names several repos share: in an import folder such a file must sit in a
    folder named after the repo (:attr:`folder`, or the HF cache's ``models--<org>--<name>``).
    """

    name: str
    source: str
    path: Path
    present: bool
    sha256: str = ""
    hf_repo: str = ""
    state_dict: bool = True  # False for OpenAI's TorchScript archive, checked by its full hash only

    @property
    def folder(self) -> str:
        """The folder name that identifies an HF file in an import folder ('' for uniquely named files)."""
        return self.hf_repo.rsplit("/", 1)[-1]

    @property
    def hash_text(self) -> str:
        """The expected SHA-256 (or prefix) for people, or :data:`UNKNOWN_HASH`."""
        if not self.sha256:
            return UNKNOWN_HASH
        return self.sha256 if len(self.sha256) == 64 else f"{self.sha256}… (prefix)"


@dataclass(frozen=True)
class ModelWeights:
    """The canonical weights of one model: alternative files, any one of which is enough."""

    model: str
    pretrained: str
    files: tuple[WeightsFile, ...]

    @property
    def present(self) -> bool:
        """Whether ``pretrained=True`` finds its weights on this machine without network access."""
        return any(f.present for f in self.files)


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_weights` did with one file of the import folder."""

    file: Path
    status: str  # imported, present, rejected or ignored
    detail: str = ""


def clip_arch(info: ModelInfo) -> str | None:
    """The open_clip architecture (``ViT-B-16``) whose OpenAI weights ``info``'s model loads, if any."""
    match = _CLIP_SOURCE.search(info.pretrained)
    return match.group(1).replace("/", "-") if match else None


def torch_hub_file(url: str) -> WeightsFile:
    """The torch hub cache entry ``load_state_dict_from_url(url)`` reads."""
    name = os.path.basename(urlparse(url).path)
    path = Path(torch.hub.get_dir()) / "checkpoints" / name
    prefix = torch.hub.HASH_REGEX.search(name)
    return WeightsFile(name, url, path, path.is_file(), prefix.group(1) if prefix else "")


def _hf_storage(repo: str) -> Path:
    from huggingface_hub import constants
    from huggingface_hub.file_download import repo_folder_name

    return Path(constants.HF_HUB_CACHE) / repo_folder_name(repo_id=repo, repo_type="model")


def _hf_revision(storage: Path) -> str | None:
    ref = storage / "refs" / "main"
    if not ref.is_file():
        return None
    return ref.read_text().strip() or None


def clip_files(arch: str) -> tuple[WeightsFile, ...]:
    """The files open_clip reads for ``arch``'s ``openai`` weights, in the order it tries them."""
    from open_clip import pretrained as oc

    cfg = oc.get_pretrained_cfg(arch, "openai")
    if oc.has_hf_hub() and cfg.get("hf_hub"):
        from huggingface_hub import try_to_load_from_cache

        # open_clip's convention: "org/name/" names the repo and its default file, "org/name/file" a file
        repo, name = os.path.split(cfg["hf_hub"])
        # open_clip's own (private) rule for the safetensors file it tries first, so the two cannot drift apart
        names = [*oc._get_safe_alternatives(name or oc.HF_WEIGHTS_NAME), name or oc.HF_WEIGHTS_NAME]
        storage = _hf_storage(repo)
        files = []
        for n in names:
            found = try_to_load_from_cache(repo, n)
            path = Path(found) if isinstance(found, str) else \
                storage / "snapshots" / (_hf_revision(storage) or IMPORT_REVISION) / n
            files.append(WeightsFile(n, f"https://huggingface.co/{repo}/resolve/main/{n}", path, isinstance(found, str),
                                     hf_repo=repo))
        return tuple(files)
    url = cfg["url"]
    name = os.path.basename(url)
    path = Path(os.path.expanduser("~/.cache/clip")) / name  # open_clip's default cache_dir
    # open_clip checks OpenAI downloads against the URL's folder, the file's full SHA-256
    sha = url.split("/")[-2] if "openaipublic" in url else ""
    return (WeightsFile(name, url, path, path.is_file(), sha, state_dict=False),)


def expected_weights() -> list[ModelWeights]:
    """Every registered model (full-size and tiny) with canonical weights, and the files it reads."""
    out = []
    for info in list_models():
        arch = clip_arch(info)
        if info.weights_url:
            files: tuple[WeightsFile, ...] = (torch_hub_file(info.weights_url),)
        elif arch:
            files = clip_files(arch)
        else:
            continue
        out.append(ModelWeights(info.name, info.pretrained, files))
    return out


def sha256_of(path: Path) -> str:
    """The SHA-256 hex digest of the file at ``path``, read in chunks (weights are hundreds of MB)."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verify(path: Path, expected: WeightsFile) -> str | None:
    """Why the file at ``path`` cannot stand in for ``expected`` (None when it can): its SHA-256 must start
    with the published hash, and it must load as a state dict of tensors."""
    if expected.sha256:
        actual = sha256_of(path)
        if not actual.startswith(expected.sha256):
            return f"SHA-256 {actual[:16]}… does not start with the published {expected.sha256}"
    if not expected.state_dict:
        return None
    try:
        if path.suffix == ".safetensors":
            from safetensors.torch import load_file

            state = load_file(path)
            if not state:
                return "no tensors in the safetensors file"
        else:
            read_state_dict(path)
    except WeightsError as err:
        return str(err).removeprefix(f"{path}: ")
    except Exception as err:  # safetensors raises its own error types; report them in one line
        return f"not a loadable weights file ({type(err).__name__}: {str(err).splitlines()[0] if str(err) else ''})"
    return None


def _hf_source_revision(rel: Path) -> str | None:
    """The revision of a file copied out of an HF cache (``models--o--n/snapshots/<rev>/<file>``)."""
    parts = rel.parts
    for i, part in enumerate(parts[:-3]):
        if _HF_SNAPSHOT.match(part) and parts[i + 1] == "snapshots":
            return parts[i + 2]
    return None


def _match(rel: Path, candidates: list[WeightsFile]) -> WeightsFile | str | None:
    """The expected file ``rel`` (a path inside the import folder) stands for, a reason it is ambiguous, or
    None when it matches nothing."""
    named = [c for c in candidates if c.name == rel.name]
    if not named:
        return None
    unique = [c for c in named if not c.hf_repo]
    if unique:
        return unique[0]
    folders = set(rel.parts[:-1])
    for c in named:
        if c.folder in folders or f"models--{c.hf_repo.replace('/', '--')}" in folders:
            return c
    return (f"{rel.name} is the file name of several Hugging Face repos; put it in a folder named after its "
            f"repo ({' or '.join(sorted({c.folder for c in named}))})")


def _destination(rel: Path, expected: WeightsFile) -> Path:
    """Where the import of ``rel`` goes: the cache path, with an HF revision that refs/main will name."""
    if not expected.hf_repo:
        return expected.path
    storage = _hf_storage(expected.hf_repo)
    revision = _hf_revision(storage) or _hf_source_revision(rel) or IMPORT_REVISION
    return storage / "snapshots" / revision / expected.name


def _copy_into_place(src: Path, dest: Path) -> None:
    """Copy ``src`` to ``dest`` through a temporary file in ``dest``'s folder (never half-written)."""
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp-{os.getpid()}")
    try:
        shutil.copyfile(src, tmp)
        replace_durably(tmp, dest)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise


def import_weights(folder: str | Path) -> list[ImportResult]:
    """Verify every expected weights file found in ``folder`` (matched by file name, at any depth) and copy
    it into the cache ``pretrained=True`` reads; files that match nothing are reported as ignored.

    Raises :class:`InputError` if ``folder`` is not a folder.
    """
    root = Path(folder)
    if not root.is_dir():
        raise InputError(f"{root}: no such folder" if not root.exists() else f"{root}: not a folder")
    candidates = list({f.path: f for m in expected_weights() for f in m.files}.values())
    results: list[ImportResult] = []
    done: dict[Path, Path] = {}
    for src in sorted(p for p in root.rglob("*") if p.is_file()):
        rel = src.relative_to(root)
        match = _match(rel, candidates)
        if match is None:
            results.append(ImportResult(rel, "ignored", "matches no expected weights file"))
            continue
        if isinstance(match, str):
            results.append(ImportResult(rel, "rejected", match))
            continue
        dest = _destination(rel, match)
        if dest in done:
            results.append(ImportResult(rel, "rejected", f"{done[dest]} already supplies {match.name}"))
            continue
        problem = verify(src, match)
        if problem:
            results.append(ImportResult(rel, "rejected", problem))
            continue
        done[dest] = rel
        same = dest.is_file() and filecmp.cmp(dest, src, shallow=False)
        replaced = dest.is_file() and not same
        if not same:
            _copy_into_place(src, dest)
        # the HF client finds a snapshot through refs/main (dest is <storage>/snapshots/<revision>/<name>)
        if match.hf_repo and _hf_revision(dest.parents[2]) is None:
            write_atomic(dest.parents[2] / "refs" / "main", dest.parent.name)
        results.append(ImportResult(rel, "present" if same else "imported",
                                    f"{dest}" + (" (replaced a different file)" if replaced else "")))
    return results
