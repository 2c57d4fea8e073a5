"""The parcel carriers staff pick from, and the tracking page of a parcel at each."""

from dataclasses import dataclass
from urllib.parse import quote


@dataclass(frozen=True)
class Carrier:
    name: str
    tracking_url: str  # with {number} where the tracking number goes


CARRIERS: tuple[Carrier, ...] = (
    Carrier("DHL", "https://www.dhl.com/global-en/home/tracking.html?tracking-id={number}"),
    Carrier("DPD", "https://tracking.dpd.de/status/en_US/parcel/{number}"),
    Carrier("GLS", "https://gls-group.com/track/{number}"),
    Carrier("UPS", "https://www.ups.com/track?tracknum={number}"),
    Carrier("FedEx", "https://www.fedex.com/fedextrack/?trknbr={number}"),
    Carrier("PostNL", "https://jouw.postnl.nl/track-and-trace/{number}"),
    Carrier("Royal Mail", "https://www.royalmail.com/track-your-item#/tracking-results/{number}"),
)
_BY_NAME = {carrier.name.casefold(): carrier for carrier in CARRIERS}


def carrier_names() -> list[str]:
    return [carrier.name for carrier in CARRIERS]


def canonical_carrier(name: str) -> str:
    """Return a known carrier's own spelling of `name` ("dhl" → "DHL"), else `name` trimmed."""
    name = " ".join(name.split())
    known = _BY_NAME.get(name.casefold())
    return known.name if known else name


def tracking_url_for(*, carrier: str, tracking_number: str) -> str:
    """Return the tracking page of a parcel at a known carrier; "" for others or no number."""
    known = _BY_NAME.get(carrier.strip().casefold())
    if known is None or not tracking_number:
        return ""
    return known.tracking_url.format(number=quote(tracking_number, safe=""))
