"""The `cuecast` command: every subcommand has --help; keys are printed once."""

from __future__ import annotations

import subprocess
import sys

import pytest

from cuecast.cli import build_parser, main

SUBCOMMANDS = [
    "run",
    "web",
    "worker",
    "sandbox",
    "migrate",
    "createuser",
    "apikey",
    "demo",
    "rotate-keys",
]


@pytest.mark.parametrize("command", [[], *([c] for c in SUBCOMMANDS), ["apikey", "create"]])
def test_every_command_has_help(command: list[str], capsys) -> None:
    with pytest.raises(SystemExit) as exited:
        build_parser().parse_args([*command, "--help"])
    assert exited.value.code == 0
    assert "usage: cuecast" in capsys.readouterr().out


def test_installed_entry_point_answers() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cuecast.cli", "--help"], capture_output=True, text=True, check=True
    )
    assert "apikey" in result.stdout and "worker" in result.stdout


def test_apikey_create_prints_a_working_key_once(workspace, capsys) -> None:
    from cuecast.accounts.models import ApiKey
    from cuecast.accounts.services import authenticate_api_key

    assert main(["apikey", "create", "--workspace", workspace.slug, "--name", "ci"]) == 0
    out, err = capsys.readouterr()
    key = out.strip()
    assert authenticate_api_key(key).workspace == workspace
    assert "shown once" in err
    assert not ApiKey.objects.filter(key_hash=key).exists()  # only its hash is stored


def test_apikey_for_unknown_workspace_says_so(db, capsys) -> None:
    assert main(["apikey", "create", "--workspace", "nope"]) == 2
    assert "no workspace “nope”" in capsys.readouterr().err


def test_createuser_adds_member(workspace, capsys) -> None:
    from cuecast.accounts.models import Membership

    assert (
        main(
            [
                "createuser",
                "erin",
                "--password",
                "a long passphrase",
                "--workspace",
                workspace.slug,
                "--role",
                "approver",
            ]
        )
        == 0
    )
    assert Membership.objects.get(user__username="erin", workspace=workspace).role == "approver"
