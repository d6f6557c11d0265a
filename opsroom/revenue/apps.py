from django.apps import AppConfig


class RevenueConfig(AppConfig):
    name = "opsroom.revenue"
    label = "revenue"
    verbose_name = "Revenue"
