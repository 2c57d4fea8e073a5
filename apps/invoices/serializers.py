"""Output shapes of the documents API."""

from typing import Any

from rest_framework import serializers


class DocumentSerializer(serializers.Serializer[Any]):
    """An invoice or credit note of an order, with where to download its PDF."""

    number = serializers.CharField(read_only=True)
    kind = serializers.ChoiceField(choices=["invoice", "credit_note"], read_only=True)
    issued_at = serializers.DateTimeField(read_only=True)
    currency = serializers.CharField(read_only=True)
    total = serializers.DecimalField(
        max_digits=12,
        decimal_places=2,
        read_only=True,
        help_text="The invoice's total, or what the credit note gives back; tax included.",
    )
    tax_total = serializers.DecimalField(max_digits=12, decimal_places=2, read_only=True)
    download_url = serializers.SerializerMethodField()

    def get_download_url(self, document: Any) -> str:
        """Return the absolute URL of the document's PDF (`url_for` in the context builds it)."""
        url_for = self.context["url_for"]
        return str(url_for(document.number))
