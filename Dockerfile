# callrouter serve, next to an Asterisk whose ARI and FastAGI it reaches over the network.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
RUN useradd --create-home --uid 10001 callrouter
WORKDIR /app
COPY pyproject.toml README.md ./
COPY callrouter ./callrouter
COPY migrations ./migrations
COPY dialplan ./dialplan
COPY asterisk-conf ./asterisk-conf
COPY callrouter.yml ./callrouter.yml
# Editable install keeps migrations/ beside the package, where the runner finds it.
RUN pip install --no-cache-dir -e . && mkdir -p /app/var && chown -R callrouter /app/var
USER callrouter
# 4573 FastAGI, 8080 HTTP API and /metrics.
EXPOSE 4573 8080
# Production sets CALLROUTER_DATABASE_DSN (or database.dsn) and the ARI password.
CMD ["sh", "-c", "callrouter --config /app/callrouter.yml db migrate && exec callrouter --config /app/callrouter.yml serve"]
