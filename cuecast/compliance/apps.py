from django.apps import AppConfig


class ComplianceConfig(AppConfig):
    name = "cuecast.compliance"
    label = "compliance"
    verbose_name = "Compliance"
