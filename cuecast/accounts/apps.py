from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "cuecast.accounts"
    label = "accounts"
