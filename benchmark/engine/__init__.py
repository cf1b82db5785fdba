"""The training/evaluation engine shared by every model: :class:`Trainer`, checkpoints, optimiser and
schedule, DDP setup and run logs."""
from synta.benchmark.engine.distributed import DistEnv, setup, teardown
from synta.benchmark.engine.trainer import Predictions, Trainer

__all__ = ["DistEnv", "Predictions", "Trainer", "setup", "teardown"]
