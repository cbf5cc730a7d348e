# gradient-service container: slim Python, dependencies in a cached layer, non-root user.
#   docker build -t gradient-service .
#   docker build --build-arg EXTRAS=gpu -t gradient-service:gpu .   (adds CuPy for NVIDIA hosts)
#   docker run -p 8000:8000 -e GRADIENT_SERVICE_WORKERS=2 gradient-service
# The engine's hot modules are compiled by Cython (setup.py) in a build stage with a C compiler;
# the image itself carries no compiler.
FROM python:3.11-slim AS build
RUN apt-get update && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY pyproject.toml setup.py README.md ./
COPY engine ./engine
COPY app ./app
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim

ARG EXTRAS=""
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    GRADIENT_SERVICE_HOST=0.0.0.0 \
    GRADIENT_SERVICE_PORT=8000 \
    GRADIENT_SERVICE_WORKERS=1

WORKDIR /srv

# Dependencies first: this layer is rebuilt only when pyproject.toml changes.
COPY pyproject.toml README.md ./
RUN mkdir -p engine app && touch engine/__init__.py app/__init__.py \
    && pip install --no-compile ".${EXTRAS:+[$EXTRAS]}" \
    && pip uninstall -y gradient-service

COPY --from=build /wheels /wheels
RUN pip install --no-compile --no-deps /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 service

USER service
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import urllib.request,sys; sys.exit(urllib.request.urlopen('http://127.0.0.1:8000/v1/health', timeout=2).status != 200)"

# Host, port and workers come from GRADIENT_SERVICE_HOST / _PORT / _WORKERS.
CMD ["gradient-service", "serve"]
