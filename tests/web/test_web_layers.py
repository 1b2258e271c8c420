"""The web stays an adapter (DESIGN §2): cogs/ and db/ never reach it, bot/ only from the composition
root of the web command, and the forum's rules know no HTTP or templates."""

from tests.test_layers import ROOT, imported_modules

COMPOSITION_ROOTS = {"bot/web_cli.py"}


def roots(path) -> set[str]:
    return {m.split(".")[0] for m in imported_modules(path)}


def test_only_the_web_command_imports_web():
    offenders = []
    for package in ("bot", "cogs", "db"):
        for path in sorted((ROOT / package).rglob("*.py")):
            name = str(path.relative_to(ROOT))
            if "web" in roots(path) and name not in COMPOSITION_ROOTS:
                offenders.append(name)
    assert offenders == []


def test_the_forums_rules_know_no_http_or_templates():
    for path in sorted((ROOT / "bot" / "forum").rglob("*.py")):
        assert not roots(path) & {"aiohttp", "jinja2", "markupsafe", "web"}, path


def test_web_holds_no_sql():
    for path in sorted((ROOT / "web").rglob("*.py")):
        assert not roots(path) & {"sqlite3", "aiosqlite"}, path
        assert "SELECT " not in path.read_text(), path
