from django.apps import AppConfig


class CampaignsConfig(AppConfig):
    name = "cuecast.campaigns"
    label = "campaigns"
