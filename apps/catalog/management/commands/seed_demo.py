"""Seed a demo catalog for local development and benchmarks (idempotent)."""

import time
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.catalog.demo import seed_demo_catalog
from apps.catalog.management.progress import ProgressBar


class Command(BaseCommand):
    help = (
        "Create a demo catalog: categories, tags, products with variants and pictures, discounts "
        "and reviews by demo shoppers. Re-running adds only what is missing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--products", type=int, default=200, help="How many products (default: 200)."
        )
        parser.add_argument(
            "--seed", type=int, default=42, help="Seed of the generated content (default: 42)."
        )
        parser.add_argument(
            "--no-images",
            action="store_false",
            dest="images",
            help="Seed products without pictures.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Seed even though DEBUG is off (never on a real shop).",
        )

    def handle(
        self,
        *args: Any,
        products: int,
        seed: int,
        force: bool,
        images: bool,
        verbosity: int,
        **options: Any,
    ) -> None:
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo fills the catalog with made-up products; refusing with DEBUG off. "
                "Pass --force if this really is a throwaway site."
            )
        if products < 0:
            raise CommandError("--products must be zero or more.")
        started = time.monotonic()
        with ProgressBar(self.stderr, enabled=verbosity > 0) as progress:
            report = seed_demo_catalog(
                products=products, seed=seed, progress=progress, images=images
            )
        elapsed = time.monotonic() - started
        self.stdout.write(f"Seeded the demo catalog in {elapsed:.1f} s:")
        rows = [
            ("products", f"{report.products:,} created, {report.existing_products:,} were there"),
            ("variants", f"{report.variants:,} created"),
            ("reviews", f"{report.reviews:,} created"),
            ("images", f"{report.images:,} created ({report.pictures_drawn:,} pictures drawn)"),
            ("categories", f"{report.categories:,} created"),
            ("tags", f"{report.tags:,} created"),
            ("customers", f"{report.customers:,} created"),
            ("discounts", f"{report.discounts:,} created"),
        ]
        if report.conflicts:
            rows.append(("skipped", f"{report.conflicts:,} (slug or SKU used by another product)"))
        for label, value in rows:
            self.stdout.write(f"  {label:<11} {value}")
