"""`cuecast network off|on|list`: the operator's switch for a whole network."""

from __future__ import annotations

from typing import Any

import pytest

from cuecast.channels.models import NetworkSwitch
from cuecast.cli import main

pytestmark = pytest.mark.django_db


def test_off_needs_a_reason_and_a_known_network(capsys: Any) -> None:
    with pytest.raises(SystemExit):
        main(["network", "off", "x"])  # --reason is required
    assert main(["network", "off", "myspace", "--reason", "gone"]) == 2
    assert "does not know a network called “myspace”" in capsys.readouterr().err


def test_off_list_and_on(capsys: Any) -> None:
    assert main(["network", "off", "x", "--reason", "API paywall"]) == 0
    assert "x is off: 0 posts held." in capsys.readouterr().out
    switch = NetworkSwitch.objects.get(network="x")
    assert (switch.enabled, switch.reason, switch.changed_by) == (False, "API paywall", None)
    assert main(["network", "list"]) == 0
    listed = capsys.readouterr().out
    assert "x          OFF (API paywall)" in listed and "mastodon   on" in listed
    assert main(["network", "on", "x"]) == 0
    assert "x is on: 0 posts released" in capsys.readouterr().out
    assert NetworkSwitch.objects.get(network="x").enabled
