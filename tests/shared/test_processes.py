import os
import subprocess
import sys

from shared import processes


def test_this_process_is_alive_and_an_ended_one_is_not():
    assert processes.alive(os.getpid())
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()  # ended and reaped: its pid names no process now
    assert not processes.alive(child.pid)


def test_a_process_of_another_user_counts_as_alive():
    assert processes.alive(1)  # init: not ours to signal when unprivileged, alive either way
