# One image for every role of the project (docker-compose.yml picks the command):
#   python worker.py                    campaign worker (the default)
#   python -m api                       HTTP API
#   python -m codec_server              payload codec server for the Temporal UI and `temporal --codec-endpoint`
#   python -m ringg_sim --host 0.0.0.0  Ringg simulator
#   python -m runtime.cluster_setup     one-shot: namespace + search attributes on a self-hosted cluster
#   python starter.py ...               the CLI (the `temporal` CLI is in the image too)
# No secrets in it: RINGG_API_KEY_FILE / API_TOKEN_FILE / PAYLOAD_ENCRYPTION_KEYS_FILE / CODEC_SERVER_TOKEN_FILE name
# files mounted at run time (Docker secrets).
ARG PYTHON_IMAGE=python:3.11-slim-bookworm
FROM ${PYTHON_IMAGE}

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# A fixed non-root uid/gid: secret files and volumes can be made readable for exactly this user.
RUN groupadd --system --gid 10001 app \
 && useradd --system --uid 10001 --gid app --home-dir /app --no-create-home --shell /usr/sbin/nologin app

WORKDIR /app

# Dependencies before code, so this layer is reused while only code changes. requirements.lock pins every package
# (it is compiled with the dev extra); the image gets pyproject.toml's runtime dependencies at exactly those
# versions, without the test and lint tools.
COPY pyproject.toml requirements.lock ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/runtime-requirements.txt \
 && pip install -r /tmp/runtime-requirements.txt -c requirements.lock \
 && rm /tmp/runtime-requirements.txt

# The code, owned by root: the app user can read it, not change it (.dockerignore is an allowlist).
COPY . .

# Working data on a volume: reports (CAMPAIGN_REPORT_DIR), API uploads, exports. Owned by the app user so that a
# fresh named volume mounted here starts writable.
RUN mkdir -p /data/reports /data/uploads /data/exports && chown -R app:app /data
ENV CAMPAIGN_REPORT_DIR=/data/reports

USER 10001:10001

# worker metrics / API / simulator / codec server
EXPOSE 9464 8080 8765 8081

# Probes the worker's metrics endpoint when METRICS_BIND_ADDRESS is set; the compose file gives the API and the
# simulator their own probe, and one-shot jobs have nothing to probe (exit 0).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 CMD ["python", "-m", "runtime.healthcheck"]

CMD ["python", "worker.py"]
