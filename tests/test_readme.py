"""README.md's settings table is the one generated from the settings class."""

from __future__ import annotations

from posbridge import settings_doc


def test_every_setting_has_a_meaning() -> None:
    assert settings_doc.undocumented() == []


def test_the_readme_lists_every_setting_as_generated() -> None:
    readme = settings_doc.README.read_text(encoding="utf-8")
    assert settings_doc.render(readme) == readme, "README.md is stale: run `python -m posbridge.settings_doc`"
    for name in settings_doc.Settings.model_fields:
        assert f"`POSBRIDGE_{name.upper()}`" in readme
