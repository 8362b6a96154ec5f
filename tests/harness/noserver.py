"""For test files that never start a server (they read source files or
test the harness itself): imported into the test module, these two no-op
fixtures replace the autouse _class_conf and _test_env of conftest.py,
which need the `env` server.

    from harness.noserver import _class_conf, _test_env  # noqa: F401
"""
import pytest


@pytest.fixture(autouse=True, scope="class")
def _class_conf():
    yield


@pytest.fixture(autouse=True)
def _test_env():
    yield
