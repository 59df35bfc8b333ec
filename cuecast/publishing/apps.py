from django.apps import AppConfig


class PublishingConfig(AppConfig):
    name = "cuecast.publishing"
    label = "publishing"
