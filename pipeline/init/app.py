"""Which WSGI application a repository serves, and how its database migrates.

Read from the source, never imported: importing a service would run its code (and need its
dependencies) before it has a virtualenv. Flask: a module-level ``app = Flask(...)`` or a
``create_app`` factory in app.py, wsgi.py or a top-level package; Django: manage.py, its
settings module and the ``WSGI_APPLICATION`` the settings name.
"""
import re
from dataclasses import dataclass
from pathlib import Path

FLASK_MODULES = ("wsgi.py", "app.py", "application.py", "main.py")
FLASK_INSTANCE = re.compile(r"^(?P<name>\w+)\s*(?::[^=]+)?=\s*(?:flask\.)?Flask\(", re.M)
FLASK_FACTORY = re.compile(r"^def (?P<name>create_app|make_app)\(", re.M)
DJANGO_SETTINGS = re.compile(r"DJANGO_SETTINGS_MODULE['\"]\s*,\s*['\"](?P<module>[\w.]+)['\"]")
DJANGO_WSGI = re.compile(r"^WSGI_APPLICATION\s*=\s*['\"](?P<module>[\w.]+)\.(?P<name>\w+)['\"]",
                         re.M)
# Flask's CLI finds the app by itself in these modules (FLASK_APP unset).
FLASK_CLI_DISCOVERS = ("app", "wsgi")
DJANGO_MIGRATE = "python manage.py migrate"


@dataclass(frozen=True)
class App:
    """A WSGI application: ``wsgi`` as gunicorn takes it, the files that define the service."""

    framework: str
    wsgi: str
    migrate_command: str
    sources: tuple[Path, ...]


def find_app(root: Path) -> App | None:
    """The repository's application, Django first (manage.py is unambiguous), else Flask."""
    return _django(root) or _flask(root)


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return ""


def _module_files(root: Path) -> list[tuple[str, Path]]:
    """Where a Flask app is looked for, in order: the usual modules, then top-level packages."""
    modules = [(name.removesuffix(".py"), root / name) for name in FLASK_MODULES]
    packages = sorted(path.parent for path in root.glob("*/__init__.py"))
    return [*modules, *((package.name, package / "__init__.py") for package in packages)]


def _flask(root: Path) -> App | None:
    """A module-level Flask instance wins over a factory: it is what the service runs today."""
    found = [(module, path, _read(path)) for module, path in _module_files(root)]
    found = [(module, path, text) for module, path, text in found if "flask" in text.lower()]
    wsgi = next((f"{module}:{match['name']}" for module, _, text in found
                 if (match := FLASK_INSTANCE.search(text))), None)
    wsgi = wsgi or next((f"{module}:{match['name']}()" for module, _, text in found
                         if (match := FLASK_FACTORY.search(text))), None)
    if wsgi is None:
        return None
    module = wsgi.split(":")[0]
    return App("flask", wsgi, _flask_migrate(root, module), tuple(path for _, path, _ in found))


def _flask_migrate(root: Path, module: str) -> str:
    """Flask-Migrate keeps alembic.ini in migrations/; its command finds the app by itself only
    in app.py and wsgi.py."""
    if not (root / "migrations" / "alembic.ini").is_file():
        return ""
    return "flask db upgrade" if module in FLASK_CLI_DISCOVERS \
        else f"flask --app {module} db upgrade"


def _django(root: Path) -> App | None:
    """manage.py names the settings; the settings name the WSGI callable."""
    manage = _read(root / "manage.py")
    settings_module = DJANGO_SETTINGS.search(manage)
    if settings_module is None:
        return None
    settings_path = root.joinpath(*settings_module["module"].split("."))
    settings = _read(settings_path.with_suffix(".py")) or _read(settings_path / "__init__.py")
    match = DJANGO_WSGI.search(settings)
    if match is None:
        return None
    module = match["module"]
    sources = (root / "manage.py", *sorted(root.glob("*/urls.py")))
    return App("django", f"{module}:{match['name']}", DJANGO_MIGRATE, sources)
