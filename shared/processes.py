"""Facts about other processes on this machine, with nothing else imported (the CLI's backup and the
metrics' clean-up both ask)."""

import os


def alive(pid: int) -> bool:
    """Whether process `pid` exists: signal 0 checks without sending anything; a process of another user
    (PermissionError) exists too."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
