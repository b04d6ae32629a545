"""Docs that cannot drift: generated README sections are up to date, and the README's commands
and examples match the code."""

from __future__ import annotations

from conftest import ROOT

from vaultkg.docs import update_readme

README = ROOT / "README.md"


def test_generated_readme_sections_are_up_to_date() -> None:
    assert update_readme(README, check=True) == [], "run: python -m vaultkg.docs"


def test_readme_opens_with_the_two_commands_ci_runs() -> None:
    text = README.read_text(encoding="utf-8")
    first_block = text.split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line for line in first_block.splitlines() if line and not line.startswith("#")]
    assert commands[0].endswith(".venv/bin/vaultkg build")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert commands[1] in ci


def test_readme_mentions_every_cli_command() -> None:
    from vaultkg.cli import cli

    text = README.read_text(encoding="utf-8")
    for name in cli.commands:
        assert f"vaultkg {name}" in text, name


def test_the_readmes_first_build_shows_what_the_example_vault_gives() -> None:
    import json
    import re

    text = README.read_text(encoding="utf-8")
    shown = re.search(r"built (\d+) notes → output/: (\d+) triples, (\d+) warnings, (\d+) errors, (\d+)/(\d+) ", text)
    assert shown is not None
    report = json.loads((ROOT / "output" / "report.json").read_text(encoding="utf-8"))  # the committed build
    links = report["wikidata_links"]
    assert tuple(map(int, shown.groups())) == (
        report["notes"], report["triples"], report["warnings"], report["errors"], links["linked"], links["linkable"]
    )  # fmt: skip
