import pytest

from platform_support import Platform


@pytest.fixture(scope="session")
def platform(tmp_path_factory):
    running = Platform(tmp_path_factory.mktemp("platform")).start()
    try:
        yield running
    finally:
        running.close()
