"""OPTIONS answers in the envelope, like every other JSON response."""

from __future__ import annotations

from rest_framework.metadata import BaseMetadata


class EnvelopeMetadata(BaseMetadata):
    def determine_metadata(self, request, view) -> dict:
        return {
            "success": True,
            "data": {"name": view.get_view_name(), "allowed_methods": view.allowed_methods},
        }
