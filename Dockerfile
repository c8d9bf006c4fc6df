# Worker and sandbox image (used by docker-compose.yml).
FROM python:3.11-slim
WORKDIR /app
COPY pyproject.toml README.md ./
COPY streamproc ./streamproc
RUN pip install --no-cache-dir .
ENV STREAMPROC_DATA_DIR=/data STREAMPROC_WEB_BIND=0.0.0.0
VOLUME ["/data"]
EXPOSE 6066
ENTRYPOINT ["streamproc"]
CMD ["worker"]
