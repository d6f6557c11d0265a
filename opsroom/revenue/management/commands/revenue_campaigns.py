"""Run the retention campaigns now (what the hourly task does), or list them with their effect."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from opsroom.core.errors import DomainError
from opsroom.core.services.audit import AuditContext
from opsroom.revenue.campaigns.run import campaigns_run_requested
from opsroom.revenue.campaigns.selectors import campaign_figures, campaign_list


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value:.1%}"


class Command(BaseCommand):
    help = "Run the retention campaigns (--list: show each one's numbers against its holdout)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--list", action="store_true", help="list campaigns, run nothing")
        parser.add_argument("--campaign", default="", help="run only this active campaign (key)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["list"]:
            currency = str(settings.OPSROOM_CURRENCY).upper()
            self.stdout.write(
                f"{'campaign':<24} {'state':<7} {'entrants':>8} {'holdout':>7} "
                f"{'treated kept':>12} {'holdout kept':>12} {'lift':>7} {'95% interval':>17} "
                f"{'saved/month':>12}"
            )
            for campaign in campaign_list():
                f = campaign_figures(campaign)
                e = f.effect
                interval = e.lift_interval
                saved = e.revenue_saved
                self.stdout.write(
                    f"{campaign.key:<24} {'active' if campaign.is_active else 'paused':<7} "
                    f"{f.triggered:>8} {f.holdout:>7} {_pct(e.treated_rate):>12} "
                    f"{_pct(e.holdout_rate):>12} {_pct(e.lift if e.is_measurable else None):>7} "
                    + (
                        f"{_pct(interval[0]):>8}..{_pct(interval[1]):<7}"
                        if interval
                        else f"{'-':>17}"
                    )
                    + (f" {saved / 100:>9.2f} {currency}" if saved is not None else f" {'-':>12}")
                )
            return
        try:
            run = campaigns_run_requested(
                audit=AuditContext.system("revenue_campaigns command"),
                only=options["campaign"] or None,
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stdout.write(
            f"Taken in: {sum(run.entered.values())} ({sum(run.held_out.values())} held out today); "
            f"emails sent: {run.sent}; held back (quiet hours, frequency cap): {run.deferred}; "
            f"measured: {run.measured}"
        )
        for key, count in sorted(run.entered.items()):
            self.stdout.write(f"  {key}: {count} new today")
