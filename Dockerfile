# aigw-conformance as a container: `docker run IMAGE check --base-url https://gw/api/ai/v1` in a CI without Python.
# Two stages: the first builds the wheel, the second installs only it (no sources, no build tools, no pip cache) on
# python:3.11-slim and runs as an unprivileged user. Build: docker build -t aigw-conformance .

FROM python:3.11-slim AS build
WORKDIR /src
# Exactly what the wheel is made of: pyproject's package-dir folders, and the README it names as the long description.
COPY pyproject.toml README.md ./
COPY aigw aigw
COPY spec spec
COPY mocks mocks
COPY suites suites
COPY reports reports
RUN pip wheel --no-cache-dir --no-deps --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir /wheels/*.whl && rm -rf /wheels \
    && useradd --create-home --uid 10001 --user-group aigw
# A numeric user, so a cluster's runAsNonRoot check can verify it; reports go to /home/aigw/reports/latest unless
# --report-dir says otherwise (mount a volume there to keep them).
USER 10001:10001
WORKDIR /home/aigw
ENTRYPOINT ["aigw"]
CMD ["--help"]
