from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "cuecast.web"
    label = "web"
