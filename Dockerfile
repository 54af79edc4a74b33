# One image for every role: web (default), `manage.py sms_dispatch`, `manage.py db_worker`,
# and `manage.py migrate`. Configure it with environment variables (see README.md).
FROM python:3.13-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.lock ./
RUN pip install -r requirements.lock

COPY . .
# collectstatic needs settings but no database or secrets of the deployment.
RUN SECRET_KEY=collectstatic-only SMS_BACKEND=sms.backends.console.ConsoleBackend \
        python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --home-dir /app impfportal

USER impfportal
EXPOSE 8000
CMD ["gunicorn", "impfportal.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "30", "--access-logfile", "-"]
