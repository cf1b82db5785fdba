"""The Syn-TA taxonomy (``assets/taxonomy.yaml``): 20 coarse classes, 100 fine classes in two sets."""
from __future__ import annotations

from dataclasses import asdict, dataclass
from functools import cache

from synta.assets import load_yaml

# The two label levels of every clip; the benchmark's tasks train and score on one of them.
TASKS = ("coarse", "fine")


@dataclass(frozen=True)
class CoarseClass:
    """A coarse motion class; ``id`` is the reference's 0-based coarse label."""

    id: int
    name: str

    @property
    def folder(self) -> str:
        """Dataset folder name: lower case, spaces as underscores (``changing_color``)."""
        return self.name.replace(" ", "_")


@dataclass(frozen=True)
class FineClass:
    """A fine motion class of Set 1 or Set 2.

    ``index`` is the fine label within its set; ``intra`` the reference's intra-class number, which with
    ``folder`` names the class (``orbiting3``) and its files (``orbiting/orbiting3_id_7.mp4``).
    """

    set: int
    index: int
    coarse: int
    coarse_name: str
    intra: int
    folder: str
    label: str
    frames: int
    fps: int

    @property
    def name(self) -> str:
        """Short unique name, as in the reference's file names (``changing_color2``)."""
        return f"{self.folder}{self.intra}"

    def to_dict(self) -> dict:
        """All fields plus ``name``, JSON-ready."""
        return {"name": self.name, **asdict(self)}


@dataclass(frozen=True)
class Taxonomy:
    """Coarse and fine classes in the reference's order (set, coarse id, intra number)."""

    coarse: tuple[CoarseClass, ...]
    fine: tuple[FineClass, ...]

    def fine_class(self, name: str) -> FineClass:
        """Look a fine class up by name (``rising2``); raises ``KeyError`` with the valid choices."""
        for f in self.fine:
            if f.name == name:
                return f
        raise KeyError(f"unknown fine class {name!r} (expected e.g. 'rising1'; see `synta classes`)")

    def in_set(self, set_id: int) -> list[FineClass]:
        """Fine classes of one set, ordered by their within-set index."""
        return [f for f in self.fine if f.set == set_id]

    def children(self, coarse_id: int) -> list[FineClass]:
        """Fine classes of one coarse class, ordered by intra number."""
        return sorted((f for f in self.fine if f.coarse == coarse_id), key=lambda f: f.intra)

    def select(self, selectors: list[str]) -> list[FineClass]:
        """Fine classes named by coarse names/folders/ids or fine names, in taxonomy order.

        ``["rising", "13", "orbiting2"]`` selects all rising classes, all not-colliding classes and
        orbiting 2. Raises ``KeyError`` naming the first selector that matches nothing.
        """
        chosen: set[str] = set()
        for sel in selectors:
            key = sel.strip().lower()
            coarse = [c for c in self.coarse if key in (str(c.id), c.name, c.folder)]
            if coarse:
                chosen.update(f.name for f in self.children(coarse[0].id))
            else:
                chosen.add(self.fine_class(key.replace(" ", "_")).name)
        return [f for f in self.fine if f.name in chosen]


@cache
def load_taxonomy() -> Taxonomy:
    """The shipped taxonomy, parsed once per process."""
    data = load_yaml("taxonomy.yaml")
    coarse = tuple(CoarseClass(c["id"], c["name"]) for c in data["coarse"])
    names = {c.id: c.name for c in coarse}
    fine = tuple(
        FineClass(
            set=f["set"], index=f["index"], coarse=f["coarse"], coarse_name=names[f["coarse"]],
            intra=f["intra"], folder=f["folder"], label=f["label"], frames=f["frames"], fps=data["fps"],
        )
        for f in data["fine"]
    )
    return Taxonomy(coarse, fine)
