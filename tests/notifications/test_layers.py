"""notifications/ sits below the domain apps: it imports none of them (they register their kinds and channels
with it instead)."""

import ast
from pathlib import Path

NOTIFICATIONS = Path(__file__).resolve().parents[2] / "notifications"
HIGHER = {"dashboards", "projects", "consultations", "inspections"}


def _imported_modules(path: Path):
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            yield node.module


def test_notifications_imports_no_domain_app():
    files = sorted(NOTIFICATIONS.rglob("*.py"))
    assert len(files) > 5
    offending = [
        (str(path.relative_to(NOTIFICATIONS)), module)
        for path in files
        for module in _imported_modules(path)
        if module.split(".")[0] in HIGHER
    ]
    assert offending == []
