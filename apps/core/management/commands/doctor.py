"""`manage.py doctor`: the production health checklist, with a score; non-zero exit on a failure."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from apps.core.doctor import run_checks


class Command(BaseCommand):
    help = "Check that this process is configured and connected as production needs."

    def handle(self, *args: Any, **options: Any) -> None:
        results = run_checks()
        for name, passed, detail in results:
            mark = self.style.SUCCESS("✔") if passed else self.style.ERROR("✘")
            self.stdout.write(f"{mark} {name}: {detail}")
        score = sum(passed for _, passed, _ in results)
        self.stdout.write(f"\nScore: {score}/{len(results)}")
        if score < len(results):
            raise CommandError(f"{len(results) - score} check(s) failed.")
