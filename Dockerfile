# callrouter serve, next to an Asterisk whose ARI and FastAGI it reaches over the network.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 CALLROUTER_CONFIG=/app/callrouter.yml
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
# 4573 FastAGI, 8080 HTTP API (/api/v1/..., health at /api/v1/health; no /metrics yet).
# The sample config listens on 127.0.0.1 only: to publish these ports, mount a config
# with agi.host and http.host 0.0.0.0, agi.allow naming Asterisk's address, and a token.
EXPOSE 4573 8080
# Production sets in the environment: CALLROUTER_DSN (a postgresql:// DSN; it overrides
# database.dsn, and without either the embedded PostgreSQL starts in /app/var),
# CALLROUTER_ARI_PASSWORD and CALLROUTER_HTTP_TOKEN (read by the sample config's
# ${...} references); CALLROUTER_CONFIG names another config file (a mounted one).
CMD ["sh", "-c", "callrouter db migrate && exec callrouter serve"]
