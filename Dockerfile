# One image for every process; docker-compose.yml and deploy/k8s name the command.
#   docker build -t aftersales:latest .
# It runs as a numeric non-root user (10001), so Kubernetes' runAsNonRoot can
# verify it, and writes nothing outside /tmp (readOnlyRootFilesystem works).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DATA_DIR=/tmp/data

WORKDIR /app

# A CJK TrueType face, embedded in the printed bills (services/billing/bill_pdf.py).
RUN apt-get update \
    && apt-get install -y --no-install-recommends fonts-wqy-microhei \
    && rm -rf /var/lib/apt/lists/*

# The pinned dependencies first: this layer is rebuilt only when the pins change.
COPY pyproject.toml constraints.txt ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" \
        > /tmp/requirements.txt \
    && pip install -c constraints.txt -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt \
    && groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid 10001 --no-create-home --home-dir /nonexistent app

# The code (.dockerignore leaves out tests, docs, data and secrets). uvicorn and
# `python -m` import it from the working directory.
COPY . .
# Bytecode compiled at build time, so a read-only root filesystem costs no start-up time.
RUN python -m compileall -q /app

USER 10001:10001
EXPOSE 8000 8001 8002 8003 8004
# Every container names its process: docker-compose.yml, deploy/k8s.
CMD ["python", "-m", "scripts.migrate"]
