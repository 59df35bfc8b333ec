"""Benchmarks: Cuecast's dispatcher against Celery and django-tasks-db, side by side (bench/README.md)."""
