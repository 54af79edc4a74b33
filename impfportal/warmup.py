"""Load at start-up what Django would otherwise load on a process's first requests.

Django imports the URLconf (and with it every view module, the admin and the
Twilio SDK), compiles templates and reads the translation catalogues lazily,
on the first request that needs them. On the morning of an opening that first
request is a resident's, and a web worker that starts then (a new node, a
restarted worker) keeps its first residents waiting while it imports: about
0.35 s of CPU for the first page and more for each new template.
``warm_up`` does it before the worker accepts a connection (called from
``impfportal/wsgi.py``); a template that does not compile fails the start
instead of a resident's request.
"""

from pathlib import Path

from django.conf import settings
from django.core.cache import caches
from django.template import engines
from django.urls import get_resolver
from django.utils.translation import trans_real


def warm_up() -> None:
    """Import the URLconf and the cache clients, compile the project's templates,
    read both languages. Opens no connection."""
    get_resolver().url_patterns  # noqa: B018 -- imports every view module
    for alias in settings.CACHES:
        caches[alias]  # imports the client (redis-py: 0.2 s)
    engine = engines["django"]
    for folder in engine.engine.dirs:  # type: ignore[attr-defined]
        for path in sorted(Path(folder).rglob("*.html")):
            engine.get_template(path.relative_to(folder).as_posix())
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)  # reads and keeps the language's catalogues
