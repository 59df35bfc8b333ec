from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "cuecast.analytics"
    label = "analytics"
    verbose_name = "Analytics"
