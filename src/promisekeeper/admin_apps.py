"""Django's admin app, but with Promisekeeper's admin site (``admin_site``) as the default."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "promisekeeper.admin_site.PromisekeeperAdminSite"
