"""synta.files: the folder lock, with real processes and a real ``kill -9``."""
import os
import signal
import subprocess
import sys
import textwrap
import time

import pytest

from synta.files import FolderLocked, folder_lock

# Takes the lock, forks a child that sleeps (as DataLoader workers do), then waits to be killed.
HOLDER = textwrap.dedent("""
    import multiprocessing as mp, sys, time
    from synta.files import folder_lock
    with folder_lock(sys.argv[1]):
        child = mp.get_context("fork").Process(target=time.sleep, args=(60,), daemon=False)
        child.start()
        print(child.pid, flush=True)
        time.sleep(60)
""")


def test_the_lock_is_refused_while_held_and_free_after(tmp_path):
    with folder_lock(tmp_path / "run"):
        r = subprocess.run([sys.executable, "-c", "import sys; from synta.files import folder_lock\n"
                            "with folder_lock(sys.argv[1]): pass", str(tmp_path / "run")], capture_output=True, text=True)
        with pytest.raises(FolderLocked, match=f"in use by another synta run \\(pid {os.getpid()}\\)"):
            with folder_lock(tmp_path / "run"):  # a second lock in the same process is refused too
                pass
    assert r.returncode == 1 and f"FolderLocked: output folder {tmp_path / 'run'} is in use" in r.stderr
    with folder_lock(tmp_path / "run"):  # released on exit
        pass


def test_a_forked_child_does_not_keep_the_lock_of_a_killed_parent(tmp_path):
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(tmp_path / "run")], stdout=subprocess.PIPE, text=True)
    child = int(proc.stdout.readline())
    try:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        os.kill(child, 0)  # the child outlives its parent ...
        with folder_lock(tmp_path / "run"):  # ... yet the lock is free at once
            pass
    finally:
        os.kill(child, signal.SIGKILL)
