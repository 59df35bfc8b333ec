"""Django settings for the bench: Cuecast's, plus the django-tasks-db baseline's app and queue.

`BENCH_CONN_MAX_AGE` turns on persistent database connections (seconds), as the baselines'
docs recommend for long-running workers; Cuecast's own processes run with cuecast.settings.
"""

from __future__ import annotations

import os

from cuecast.settings import *  # noqa: F403
from cuecast.settings import DATABASES, INSTALLED_APPS

INSTALLED_APPS = [*INSTALLED_APPS, "django_tasks", "django_tasks_db"]
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}

if os.environ.get("BENCH_CONN_MAX_AGE"):
    DATABASES["default"]["CONN_MAX_AGE"] = int(os.environ["BENCH_CONN_MAX_AGE"])
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
