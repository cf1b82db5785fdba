"""``python -m synta.cli``: the same as the ``synta`` command."""
from synta.cli import main

main()
