# One image for every process of GrønnJobb: the web server (the default command), the Celery workers and beat,
# the one-off migration, and the fake Tripletex for a demo. docker-compose.yml shows each one's command.
#   docker build -t grjobb .

# --- build: the dependencies, into a virtualenv the runtime stage copies ---------------------------------------
FROM python:3.11-slim AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1
RUN python -m venv /opt/venv
COPY requirements/ /build/requirements/
# What production runs (pyproject.toml's dependencies), at the versions requirements/lock.txt pins for every
# package, transitive ones too; the dev group's test tools stay out of the image.
RUN /opt/venv/bin/pip install -r /build/requirements/production.txt

# --- runtime -----------------------------------------------------------------------------------------------
FROM python:3.11-slim AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    DJANGO_DEBUG=false \
    GRJOBB_VAR_DIR=/var/lib/grjobb \
    MEDIA_ROOT=/var/lib/grjobb/media \
    STATIC_ROOT=/app/staticfiles
# A user of its own with a fixed id, so a platform that insists on non-root can check it; it may write only
# under /var/lib/grjobb (beat's schedule, invoice PDFs), never to the code.
RUN useradd --system --uid 10001 --no-create-home --shell /usr/sbin/nologin grjobb \
    && mkdir -p /var/lib/grjobb/media \
    && chown -R grjobb:grjobb /var/lib/grjobb
COPY --from=build /opt/venv /opt/venv
WORKDIR /app
COPY . /app
# Static files are collected once, here. The settings need secrets to load; these are throwaway values that
# nothing is encrypted or signed with, and the scratch folder they leave is removed in the same layer.
RUN DJANGO_DEBUG=false SECRET_KEY=collectstatic-only FIELD_ENCRYPTION_KEYS=collectstatic-only \
    TRIPLETEX_CONSUMER_TOKEN=collectstatic-only GRJOBB_VAR_DIR=/app/build-var \
    python manage.py collectstatic --noinput \
    && rm -rf /app/build-var
USER 10001
EXPOSE 8000
# Gunicorn's worker count comes from WEB_CONCURRENCY (default 1); every request is logged by the app itself,
# with its request id and company, so gunicorn's access log stays off.
CMD ["gunicorn", "config.wsgi", "--bind", "0.0.0.0:8000", "--graceful-timeout", "20", "--timeout", "60"]
