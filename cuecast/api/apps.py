from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "cuecast.api"
    label = "api"
