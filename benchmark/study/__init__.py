"""``synta study``: a whole experiment (datasets to render, runs to train, a report) from one YAML file.

:mod:`.spec` parses the file, :mod:`.jobs` turns it into ``synta render``/``synta bench`` command lines in a
fixed folder layout, :mod:`.executors` runs them here or on SLURM, :mod:`.estimate` prices them for
``--dry-run`` and :mod:`.run` moves the study from stage to stage.
"""
