# Production image for web, worker and beat (docker-compose.yml).
FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1
WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt
COPY . .
# Static files are collected as production serves them: DEBUG off, so the settings choose the compressed manifest
# storage and the hashed names and staticfiles.json that its pages ask for are written (collected with DEBUG on,
# no manifest was written and every page answered 500). The settings refuse to load without a SECRET_KEY when
# DEBUG is off: a throwaway one is made for this one command and kept in no layer; nothing connects to a
# database or broker here. The build fails if collecting fails.
RUN DEBUG=0 SECRET_KEY="$(python -c 'import secrets; print(secrets.token_urlsafe(64))')" \
        python manage.py collectstatic --no-input -v 0 && \
    test -s staticfiles/staticfiles.json && \
    useradd --create-home portal && \
    mkdir -p /data/media && chown portal /data/media
USER portal
ENV MEDIA_ROOT=/data/media
EXPOSE 8000
CMD ["gunicorn", "renovation_portal.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "60"]
