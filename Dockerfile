# Production image for web, worker and beat (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
RUN DEBUG=1 python manage.py collectstatic --no-input -v 0 && useradd --create-home portal && \
    mkdir -p /data/media && chown portal /data/media
USER portal
ENV MEDIA_ROOT=/data/media
EXPOSE 8000
CMD ["gunicorn", "renovation_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
