# One image for every process; docker-compose.yml picks the command.
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml constraints.txt ./
COPY shared shared
COPY services services
COPY gateway gateway
COPY cli cli
COPY scripts scripts
COPY alembic alembic
COPY alembic.ini ./
RUN pip install --no-cache-dir -c constraints.txt . && useradd --system app
USER app
ENV PYTHONUNBUFFERED=1
