# Production image: daphne on :8000. Migrations are a step of their own, run once per release
# before the web processes start (docker-compose.yml: the `migrate` service), never by each replica:
#   docker run --rm <image> python manage.py migrate --noinput
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --home-dir /app --shell /usr/sbin/nologin app

WORKDIR /app
# The lock pins every package, transitive ones included, with its hashes.
COPY requirements.lock .
RUN pip install --require-hashes --no-deps -r requirements.lock

COPY --chown=app:app . .
# collectstatic needs settings, not secrets: throwaway values for this one build step.
RUN SECRET_KEY=build-only JWT_SECRET=build-only ACTION_TOKEN_SECRETS=build-only \
    python manage.py collectstatic --noinput --verbosity 0 \
    && chown -R app:app /app/staticfiles

USER app
EXPOSE 8000
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 \
    CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2)"

# No --proxy-headers: the client address is decided by TRUSTED_PROXIES in the app.
CMD ["daphne", "-e", "tcp:port=8000:interface=0.0.0.0:backlog=4096", "--websocket_connect_timeout", "20", "scoreboard_project.asgi:application"]
