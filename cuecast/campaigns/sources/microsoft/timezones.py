"""Microsoft Advertising's `TimeZone` values (accounts, campaigns) → IANA zone names.

Data, not logic. The left column is Microsoft's TimeZoneType value set
(learn.microsoft.com/en-us/advertising/customer-management-service/timezonetype?view=bingads-13;
the same names as the REST SDK's `openapi_client/models/customer/time_zone_type.py`). Each value
names the cities of a Windows time zone; the right column is that zone's IANA name as CLDR's
`common/supplemental/windowsZones.xml` maps it (territory 001), except where the cities Microsoft
names follow other rules today, noted inline. Microsoft's labels are fixed offsets ("(GMT-05:00)
Eastern Time"); accounts observe daylight saving time, which the IANA zones carry.

A value missing here (Microsoft adds zones rarely) falls back to UTC: `iana_zone` reports that, and
the account keeps Microsoft's raw value in its settings so the table can be extended.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

MICROSOFT_TO_IANA: dict[str, str] = {
    "Nukualofa": "Pacific/Tongatapu",
    "FijiKamchatkaMarshallIsland": "Pacific/Fiji",
    "AucklandWellington": "Pacific/Auckland",
    "SolomonIslandNewCaledonia": "Pacific/Guadalcanal",
    "Vladivostok": "Asia/Vladivostok",
    "Hobart": "Australia/Hobart",
    "GuamPortMoresby": "Pacific/Port_Moresby",
    "CanberraMelbourneSydney": "Australia/Sydney",
    "Brisbane": "Australia/Brisbane",
    "Darwin": "Australia/Darwin",
    "Adelaide": "Australia/Adelaide",
    "Yakutsk": "Asia/Yakutsk",
    "Seoul": "Asia/Seoul",
    "OsakaSapporoTokyo": "Asia/Tokyo",
    "Taipei": "Asia/Taipei",
    "Perth": "Australia/Perth",
    "KualaLumpurSingapore": "Asia/Singapore",
    "IrkutskUlaanBataar": "Asia/Irkutsk",
    "BeijingChongqingHongKongUrumqi": "Asia/Shanghai",
    "Krasnoyarsk": "Asia/Krasnoyarsk",
    "BangkokHanoiJakarta": "Asia/Bangkok",
    "Rangoon": "Asia/Yangon",
    "SriJayawardenepura": "Asia/Colombo",
    # GMT+06:00: Kazakhstan moved to +05:00 in 2024, Dhaka stays at +06:00.
    "AstanaDhaka": "Asia/Dhaka",
    "AlmatyNovosibirsk": "Asia/Novosibirsk",
    "Kathmandu": "Asia/Kathmandu",
    "ChennaiKolkataMumbaiNewDelhi": "Asia/Kolkata",
    "IslamabadKarachiTashkent": "Asia/Karachi",
    "Ekaterinburg": "Asia/Yekaterinburg",
    "Kabul": "Asia/Kabul",
    "BakuTbilisiYerevan": "Asia/Yerevan",
    "AbuDhabiMuscat": "Asia/Dubai",
    "Tehran": "Asia/Tehran",
    "Nairobi": "Africa/Nairobi",
    "MoscowStPetersburgVolgograd": "Europe/Moscow",
    "KuwaitRiyadh": "Asia/Riyadh",
    "Baghdad": "Asia/Baghdad",
    "Jerusalem": "Asia/Jerusalem",
    "HelsinkiKyivRigaSofiaTallinnVilnius": "Europe/Helsinki",
    "HararePretoria": "Africa/Johannesburg",
    "Cairo": "Africa/Cairo",
    "Bucharest": "Europe/Bucharest",
    # Istanbul left EU daylight saving time in 2016; Athens and Bucharest keep it.
    "AthensBuckarestIstanbul": "Europe/Athens",
    "WestCentralAfrica": "Africa/Lagos",
    "SarajevoSkopjeWarsawZagreb": "Europe/Warsaw",
    "BrusselsCopenhagenMadridParis": "Europe/Paris",
    "BelgradeBratislavaBudapestLjubljanaPrague": "Europe/Budapest",
    "AmsterdamBerlinBernRomeStockholmVienna": "Europe/Berlin",
    # Labelled "(GMT)": Monrovia keeps GMT all year (Casablanca is on +01:00 since 2018).
    "CasablancaMonrovia": "Africa/Monrovia",
    "GreenwichMeanTimeDublinEdinburghLisbonLondon": "Europe/London",
    "Azores": "Atlantic/Azores",
    "CapeVerdeIsland": "Atlantic/Cape_Verde",
    "MidAtlantic": "Atlantic/South_Georgia",
    "Brasilia": "America/Sao_Paulo",
    "BuenosAiresGeorgetown": "America/Argentina/Buenos_Aires",
    "Greenland": "America/Nuuk",
    "Newfoundland": "America/St_Johns",
    "AtlanticTimeCanada": "America/Halifax",
    "CaracasLaPaz": "America/Caracas",
    "Santiago": "America/Santiago",
    "BogotaLimaQuito": "America/Bogota",
    "EasternTimeUSCanada": "America/New_York",
    "IndianaEast": "America/Indiana/Indianapolis",
    "CentralAmerica": "America/Guatemala",
    "CentralTimeUSCanada": "America/Chicago",
    "GuadalajaraMexicoCityMonterrey": "America/Mexico_City",
    "Saskatchewan": "America/Regina",
    "Arizona": "America/Phoenix",
    # Chihuahua moved to -06:00 in 2022; Mazatlán and La Paz (B.C.S.) stay at -07:00.
    "ChihuahuaLaPazMazatlan": "America/Mazatlan",
    "MountainTimeUSCanada": "America/Denver",
    "PacificTimeUSCanadaTijuana": "America/Los_Angeles",
    "Alaska": "America/Anchorage",
    "Hawaii": "Pacific/Honolulu",
    "MidwayIslandAndSamoa": "Pacific/Pago_Pago",
    "InternationalDateLineWest": "Etc/GMT+12",
}

FALLBACK_ZONE = "UTC"
# Microsoft's default for a report's ReportTimeZone when none is given (ReportTime docs).
MICROSOFT_DEFAULT = "PacificTimeUSCanadaTijuana"


def iana_zone(microsoft: str | None) -> str:
    """The IANA zone for a Microsoft TimeZone value; UTC when unknown or missing."""
    return MICROSOFT_TO_IANA.get(microsoft or "", FALLBACK_ZONE)


def zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo(FALLBACK_ZONE)
