"""The shipped taxonomy agrees with the reference's naming scheme (counts and spot rows hard-coded)."""
from __future__ import annotations

import pytest

from synta.generator import load_taxonomy

COARSE = ["appearing", "arriving", "bouncing", "changing color", "changing shape", "cloning", "departing",
          "disappearing", "expanding", "falling", "following", "merging", "moving in a path",
          "not colliding", "occlusion", "orbiting", "rising", "shooting projectile", "shrinking", "teleporting"]

# (name, set, within-set index, coarse id) rows of the reference's current split files
SPOT_ROWS = [("appearing1", 1, 0, 0), ("arriving5", 1, 4, 1), ("bouncing7", 1, 8, 2), ("changing_shape5", 1, 14, 4),
             ("teleporting3", 1, 52, 19), ("appearing3", 2, 0, 0), ("changing_shape3", 2, 11, 4),
             ("cloning2", 2, 14, 5), ("orbiting4", 2, 37, 15), ("teleporting5", 2, 46, 19)]

INTRA_BY_SET = {  # coarse folder -> (Set 1 intra numbers, Set 2 intra numbers)
    "bouncing": ([1, 3, 5, 7], [2, 4, 6, 8]), "changing_shape": ([1, 2, 5], [3, 4, 6]),
    "cloning": ([1, 3, 5], [2, 4]), "orbiting": ([1, 3, 5], [2, 4, 6]), "following": ([1, 2, 3], [4, 5]),
}


def test_counts():
    tax = load_taxonomy()
    assert [c.name for c in tax.coarse] == COARSE
    assert [c.id for c in tax.coarse] == list(range(20))
    assert len(tax.fine) == 100
    assert len(tax.in_set(1)) == 53 and len(tax.in_set(2)) == 47
    for s in (1, 2):
        assert [f.index for f in tax.in_set(s)] == list(range(len(tax.in_set(s))))
        assert {f.coarse for f in tax.in_set(s)} == set(range(20)), "each set covers every coarse class"


@pytest.mark.parametrize("name,set_id,index,coarse", SPOT_ROWS)
def test_spot_rows(name, set_id, index, coarse):
    f = load_taxonomy().fine_class(name)
    assert (f.set, f.index, f.coarse) == (set_id, index, coarse)


def test_intra_numbers_and_sets():
    tax = load_taxonomy()
    for folder, (s1, s2) in INTRA_BY_SET.items():
        fine = [f for f in tax.fine if f.folder == folder]
        assert [f.intra for f in fine if f.set == 1] == s1
        assert [f.intra for f in fine if f.set == 2] == s2


def test_labels_and_fields():
    tax = load_taxonomy()
    assert tax.fine_class("appearing1").label == "Single object appearing by increasing opacity"
    assert tax.fine_class("arriving6").label == (
        "Single object arriving beside another single object, pausing then going away")
    assert tax.fine_class("orbiting4").label.endswith(
        "second object orbiting first object in clockwise direction on horizontal plane")
    assert all(f.fps == 24 and 30 <= f.frames <= 300 for f in tax.fine)
    assert len({f.name for f in tax.fine}) == 100


def test_select():
    tax = load_taxonomy()
    assert [f.name for f in tax.select(["rising"])] == ["rising1", "rising2", "rising3", "rising4"]
    assert [f.name for f in tax.select(["13", "orbiting2"])] == [
        "not_colliding1", "not_colliding2", "not_colliding3", "not_colliding4", "not_colliding5", "orbiting2"]
    assert len(tax.select(["changing color"])) == 5
    with pytest.raises(KeyError, match="unknown fine class 'flying1'"):
        tax.select(["flying1"])
