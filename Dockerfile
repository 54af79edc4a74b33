# One image for every role. The default command is the web server (gunicorn); the
# same image runs `python manage.py sms_dispatch` (SMS and voice outbox),
# `python manage.py db_worker` (background tasks), `python manage.py waitlist_sweep`
# (the waiting list's safety net) and `python manage.py migrate`.
# Configure it with environment variables (README.md); deploy/compose.yaml runs it all.
#
# KERN UX's CSS and fonts are committed under static/vendor/kern/ (`make assets`
# rebuilds them from npm), so the image needs no Node.js.

# --- 1. Build: the pinned packages in a virtual environment, and the static files
#        collected once with hashed names and gzip/brotli copies. -----------------
FROM python:3.13-slim AS build
ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PATH=/opt/venv/bin:$PATH
RUN python -m venv /opt/venv
WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY . .
# collectstatic needs settings, but no database and none of the deployment's secrets.
RUN SECRET_KEY=collectstatic-only SMS_BACKEND=sms.backends.console.ConsoleBackend \
        python manage.py collectstatic --noinput \
    && python -m compileall -q /app

# --- 2. Runtime: slim Python, the environment and the app, run as a non-root user. ---
FROM python:3.13-slim AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH
RUN useradd --system --uid 10001 --no-create-home --home-dir /app --shell /usr/sbin/nologin impfportal
COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app
WORKDIR /app
USER impfportal
EXPOSE 8000
# Docker marks a web container unhealthy when the process stops answering
# /healthz (no database: an outage must not fail every container at once).
# The image has no curl; Python's urllib does. Roles without a web server
# switch it off in deploy/compose.yaml.
HEALTHCHECK --interval=15s --timeout=3s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"]
# Bind, workers (WEB_CONCURRENCY), JSON access log, Prometheus multiprocess mode.
CMD ["gunicorn", "impfportal.wsgi:application", "--config", "python:impfportal.gunicorn_conf"]
