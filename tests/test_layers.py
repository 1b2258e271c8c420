"""The forum's rules stay free of Discord and SQL (DESIGN §2)."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FORBIDDEN = ("discord", "aiosqlite", "sqlite3", "db")


def imported_modules(path: Path) -> set[str]:
    modules = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            modules.add(node.module)
    return modules


def test_forum_imports_neither_discord_nor_the_store():
    offenders = {}
    files = sorted((ROOT / "bot" / "forum").rglob("*.py"))
    assert files, "bot/forum/ should hold the forum's rules"
    for path in files:
        bad = {m for m in imported_modules(path) if m.split(".")[0] in FORBIDDEN}
        if bad:
            offenders[str(path.relative_to(ROOT))] = sorted(bad)
    assert offenders == {}


def test_the_walker_sees_forbidden_imports(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import discord.ext\nfrom db.store import x\nfrom . import rules\n")
    assert imported_modules(sample) == {"discord.ext", "db.store"}


def test_emulator_never_imports_the_bot():
    for path in sorted((ROOT / "emulator").rglob("*.py")):
        roots = {m.split(".")[0] for m in imported_modules(path)}
        assert not roots & {"bot", "cogs", "db"}, path
