from django.apps import AppConfig


class ChannelsConfig(AppConfig):
    name = "cuecast.channels"
    label = "channels"
