# Seats: one Dockerfile, two images.
#
#   docker build -t seats .                            the server (default target: app)
#   docker run -p 8888:8888 -v seats-data:/data seats
#
#   docker build --target test -t seats-test .        the server + test tools + Debian's Chromium and PostgreSQL
#   docker run --rm seats-test scripts/test            the whole suite: lint, unit, HTTP, browser, report
#
# Every install step is scripts/install-deps, the very script the README's test
# command and CI (.ci/run) run, so what is tested on a laptop is what is built here.
# The base image is pinned to a patch release; pin its digest too where a
# registry is reachable (python:3.11.14-slim-bookworm@sha256:...).

FROM python:3.11.14-slim-bookworm AS base
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VENV=/opt/venv \
    PATH=/opt/venv/bin:$PATH
WORKDIR /app
RUN groupadd --system --gid 10001 seats \
    && useradd --system --uid 10001 --gid seats --home-dir /app --shell /usr/sbin/nologin seats \
    && mkdir -p /data \
    && chown seats:seats /data

# ---- test image: everything scripts/test needs, Chromium from Debian included ----
FROM base AS test
COPY requirements.txt requirements-test.txt ./
COPY scripts/install-deps scripts/install-deps
# As root, install-deps also apt-installs Debian's chromium (browser tests) and
# postgresql (scripts/test starts a throwaway cluster for the several-process tests).
RUN scripts/install-deps \
    && rm -rf /var/lib/apt/lists/* /root/.cache
COPY --chown=seats:seats . .
# The tests write caches and reports/ under /app; the suite needs nothing else.
RUN chown seats:seats /app
ENV SKIP_INSTALL_DEPS=1 \
    CHROMIUM_PATH=/usr/bin/chromium
USER 10001:10001
CMD ["scripts/test"]

# ---- app image (the default target): runtime packages only ----
FROM base AS app
COPY requirements.txt ./
COPY scripts/install-deps scripts/install-deps
RUN scripts/install-deps --runtime \
    && rm -rf /root/.cache
COPY . .
ENV SEATS_HOST=0.0.0.0 \
    SEATS_PORT=8888 \
    SEATS_DB=/data/seats.db
VOLUME ["/data"]
EXPOSE 8888
USER 10001:10001
# No curl in slim images: ask /healthz with the interpreter the server runs on.
HEALTHCHECK --interval=10s --timeout=3s --start-period=10s --retries=3 \
    CMD ["python", "-c", "import os, sys, urllib.request; r = urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('SEATS_PORT', '8888') + '/healthz', timeout=2); sys.exit(r.status != 200)"]
# SIGTERM (docker stop) ends streams cleanly and makes every acknowledged booking
# durable within SEATS_SHUTDOWN_TIMEOUT (5 s): keep docker's stop grace above it.
STOPSIGNAL SIGTERM
CMD ["python", "server.py"]
