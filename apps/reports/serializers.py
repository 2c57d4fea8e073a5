"""Report query parameters (validated) and answers (for rendering and the OpenAPI schema)."""

from datetime import date
from typing import Any

from rest_framework import serializers

from apps.reports.selectors import INTERVALS

# The longest range, in days, each interval may be asked for (both ends included).
MAX_DAYS = {"day": 366, "week": 5 * 366, "month": 10 * 366}
MAX_TOP_LIMIT = 100


def _money() -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=14, decimal_places=2)


class _RangeQuerySerializer(serializers.Serializer):
    """`from` and `to`: an inclusive range of UTC days ("from" is a Python keyword, so the
    field is added in `get_fields`)."""

    to = serializers.DateField(help_text="Last day (UTC) of the range, included: YYYY-MM-DD.")

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        return {
            "from": serializers.DateField(
                help_text="First day (UTC) of the range, included: YYYY-MM-DD."
            ),
            **fields,
        }

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start: date = attrs["from"]
        end: date = attrs["to"]
        if start > end:
            raise serializers.ValidationError(
                {"from": ["Must be on or before `to`."]}, code="invalid_range"
            )
        return attrs


class SalesQuerySerializer(_RangeQuerySerializer):
    interval = serializers.ChoiceField(
        choices=INTERVALS, default="day", help_text="Group by day, ISO week or calendar month."
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        attrs = super().validate(attrs)
        days = (attrs["to"] - attrs["from"]).days + 1
        limit = MAX_DAYS[attrs["interval"]]
        if days > limit:
            raise serializers.ValidationError(
                {
                    "to": [
                        f"A report by {attrs['interval']} spans at most {limit} days; "
                        f"this range has {days}."
                    ]
                },
                code="range_too_long",
            )
        return attrs


class TopProductsQuerySerializer(_RangeQuerySerializer):
    limit = serializers.IntegerField(
        min_value=1, max_value=MAX_TOP_LIMIT, default=10, help_text="How many products."
    )


class SalesRowSerializer(serializers.Serializer):
    period = serializers.DateField(help_text="First day of the period.")
    orders = serializers.IntegerField(help_text="Paid and fulfilled orders.")
    revenue = _money()
    average_order_value = _money()
    refunds = _money()


class SalesTotalsSerializer(serializers.Serializer):
    orders = serializers.IntegerField()
    revenue = _money()
    average_order_value = _money()
    refunds = _money()


class _RangeSerializer(serializers.Serializer):
    to = serializers.DateField()

    def get_fields(self) -> dict[str, Any]:
        fields = super().get_fields()
        return {"from": serializers.DateField(), **fields}


class SalesReportSerializer(_RangeSerializer):
    interval = serializers.ChoiceField(choices=INTERVALS)
    rows = SalesRowSerializer(many=True)
    totals = SalesTotalsSerializer()


class TopProductSerializer(serializers.Serializer):
    product_id = serializers.UUIDField(allow_null=True, help_text="None: since deleted.")
    product_name = serializers.CharField()
    units = serializers.IntegerField()
    revenue = _money()


class TopProductsReportSerializer(_RangeSerializer):
    limit = serializers.IntegerField()
    rows = TopProductSerializer(many=True)
