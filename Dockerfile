# liushou: multi-stage build. durable-rules ships as an sdist with a C core, so it is
# compiled in the builder stage; the runtime stage has no compiler and runs as non-root.
# Consistent with the Makefile: same Python range (3.11–3.12), the same locked versions
# (requirements.lock, what `make test` ran), same entry point
# (`liushou serve`), same port and health endpoint.

FROM python:3.12-slim AS builder
RUN apt-get update \
 && apt-get install -y --no-install-recommends build-essential \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml README.md requirements.lock ./
COPY models ./models
COPY rules ./rules
COPY service ./service
COPY evaluation ./evaluation
COPY fixtures ./fixtures
RUN python -m venv /opt/venv \
 && /opt/venv/bin/pip install --no-cache-dir --upgrade pip \
 && /opt/venv/bin/pip install --no-cache-dir -c requirements.lock .

FROM python:3.12-slim AS runtime
RUN useradd --system --create-home --uid 10001 liushou
COPY --from=builder /opt/venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    LIUSHOU_HOST=0.0.0.0 \
    LIUSHOU_PORT=8000 \
    LIUSHOU_ENVIRONMENT=production \
    LIUSHOU_DATABASE_URL=sqlite:////home/liushou/liushou.db \
    MPLCONFIGDIR=/tmp/matplotlib
USER liushou
WORKDIR /home/liushou
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
  CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=2).status != 200)"
CMD ["liushou", "serve"]
