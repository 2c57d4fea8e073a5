"""Issue the invoices and credit notes that orders paid before invoicing existed lack."""

from typing import Any

from django.core.management.base import BaseCommand

from apps.invoices.services import issue_missing_documents


class Command(BaseCommand):
    help = (
        "Issue an invoice for every paid order without one, and a credit note for every "
        "refund without one, oldest first. Safe to run again: it issues only what is missing."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        invoices, credit_notes = issue_missing_documents()
        self.stdout.write(f"Issued {invoices} invoice(s) and {credit_notes} credit note(s).")
