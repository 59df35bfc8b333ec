from django.apps import AppConfig


class PostsConfig(AppConfig):
    name = "cuecast.posts"
    label = "posts"
