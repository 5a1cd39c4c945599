import os

import pytest

from bot.environ import restored


def test_variables_set_for_a_moment_get_their_old_values_back(monkeypatch):
    monkeypatch.setenv("FAQ_TEST_KEPT", "before")
    monkeypatch.delenv("FAQ_TEST_UNSET", raising=False)
    with pytest.raises(RuntimeError), restored("FAQ_TEST_KEPT", "FAQ_TEST_UNSET"):
        os.environ["FAQ_TEST_KEPT"] = "during"
        os.environ["FAQ_TEST_UNSET"] = "during"
        raise RuntimeError("a library failed to load")
    assert os.environ["FAQ_TEST_KEPT"] == "before"
    assert "FAQ_TEST_UNSET" not in os.environ
    with restored("FAQ_TEST_KEPT"):
        del os.environ["FAQ_TEST_KEPT"]
    assert os.environ["FAQ_TEST_KEPT"] == "before"
