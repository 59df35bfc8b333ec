"""The django-tasks-db baseline's task: the same publish call and record as the other systems."""

from __future__ import annotations

from typing import Any

from django_tasks import task

from bench.publish_call import publish_and_record


@task()
def publish_target(target_id: int) -> dict[str, Any]:
    return publish_and_record(target_id)
