from django.apps import AppConfig


class DemoConfig(AppConfig):
    """The demo company and its commands; the top layer, so it may use every other app."""

    name = "promisekeeper.demo"
