# A slim image that serves the API with uvicorn. Migrations are a separate command, run once
# per deploy (they also take a PostgreSQL advisory lock, so replicas that run them at the
# same moment queue instead of racing):
#   docker run --rm -e DATABASE_URL=... claims-api claims migrate
#   docker run -e DATABASE_URL=... -p 8000:8000 claims-api
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    HOST=0.0.0.0 \
    PORT=8000

WORKDIR /srv/claims
COPY requirements.lock ./
RUN pip install -r requirements.lock
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
COPY seeds ./seeds
# Editable, so the `claims` command finds migrations/ and seeds/ beside the code.
RUN pip install --no-deps -e . \
    && useradd --system --uid 10001 --home-dir /srv/claims claims \
    && mkdir -p /srv/claims/data && chown claims /srv/claims/data

USER claims
EXPOSE 8000
CMD ["claims", "serve"]
