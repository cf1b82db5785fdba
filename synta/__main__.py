"""``python -m synta`` (what ``torchrun -m synta bench ...`` runs)."""
from synta.cli import main

main()
