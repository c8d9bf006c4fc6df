# Worker and sandbox image (used by docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY streamproc ./streamproc
RUN pip install --no-cache-dir .
ENV STREAMPROC_DATA_DIR=/data STREAMPROC_WEB_BIND=0.0.0.0
# Kafka: KAFKA_BOOTSTRAP_SERVERS, KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_MECHANISM,
# KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD, KAFKA_SSL_CAFILE, KAFKA_SSL_CERTFILE, KAFKA_SSL_KEYFILE
# (README "Settings"); mount PEM files read-only, e.g. at /etc/streamproc/kafka.
# /health answers 503 until the worker has joined its group and recovered its tables.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD python -c "import os,urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('STREAMPROC_WEB_PORT', '6066'), timeout=4)"
VOLUME ["/data"]
EXPOSE 6066
ENTRYPOINT ["streamproc"]
CMD ["worker"]
