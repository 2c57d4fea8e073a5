"""Shapes of the wishlist API."""

from typing import Any

from rest_framework import serializers

from apps.catalog.serializers import ProductCardSerializer


class WishlistItemSerializer(serializers.Serializer[Any]):
    product = ProductCardSerializer()
    saved_at = serializers.DateTimeField()


class WishlistSerializer(serializers.Serializer[Any]):
    count = serializers.IntegerField(help_text="Saved products the shop shows now.")
    results = WishlistItemSerializer(many=True, help_text="Newest first.")


class SaveForLaterSerializer(serializers.Serializer[Any]):
    product = serializers.SlugField(help_text="The slug of the product to save.")
