"""Builds mechelen_addresses.csv: a small sample of Mechelen's streets for the offline geocoder.

Hand-made for the demo and the tests, not taken from the address register: each street is a line from
its first to its last house number, odd numbers on one side and even on the other, a few metres apart.
The positions are close to the real streets, but not exact. Run it again after changing STREETS:

    python handlers/data/build_mechelen_addresses.py
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

# name, postcode, (lat, lon) of number 1, (lat, lon) of the last number, last number
STREETS = [
    ("Grote Markt", "2800", (51.02800, 4.47960), (51.02745, 4.48130), 40),
    ("Bruul", "2800", (51.02640, 4.48150), (51.02330, 4.48540), 140),
    ("IJzerenleen", "2800", (51.02700, 4.47890), (51.02430, 4.47780), 60),
    ("Befferstraat", "2800", (51.02790, 4.48230), (51.02810, 4.48580), 50),
    ("Onze-Lieve-Vrouwestraat", "2800", (51.02460, 4.47830), (51.02090, 4.47960), 120),
    ("Hoogstraat", "2800", (51.02230, 4.47420), (51.01880, 4.47150), 100),
    ("Adegemstraat", "2800", (51.03010, 4.48290), (51.03160, 4.48790), 80),
    ("Keizerstraat", "2800", (51.02910, 4.48330), (51.02990, 4.48680), 60),
    ("Frederik de Merodestraat", "2800", (51.02700, 4.47750), (51.02920, 4.47330), 90),
    ("Veemarkt", "2800", (51.02970, 4.47890), (51.03110, 4.48070), 50),
    ("Haverwerf", "2800", (51.02620, 4.47560), (51.02530, 4.47390), 30),
    ("Stationsstraat", "2800", (51.02020, 4.48040), (51.01740, 4.48260), 90),
    ("Leopoldstraat", "2800", (51.02440, 4.47520), (51.02140, 4.47330), 80),
    ("Nekkerspoelstraat", "2800", (51.02950, 4.48810), (51.03140, 4.49720), 200),
    ("Liersesteenweg", "2800", (51.03150, 4.49300), (51.03700, 4.51200), 400),
    ("Antwerpsesteenweg", "2800", (51.03650, 4.47600), (51.05500, 4.47000), 500),
    ("Brusselsesteenweg", "2800", (51.01600, 4.47000), (51.00000, 4.46400), 400),
    ("Leuvensesteenweg", "2800", (51.01800, 4.48800), (51.00300, 4.50500), 450),
    ("Hombeeksesteenweg", "2800", (51.02300, 4.46600), (51.01300, 4.43800), 300),
    ("Battelsesteenweg", "2800", (51.03200, 4.46800), (51.04000, 4.44600), 350),
    ("Tervuursesteenweg", "2800", (51.01600, 4.48400), (51.00500, 4.48700), 300),
    ("Kerkhofweg", "2800", (51.03400, 4.49000), (51.03800, 4.49800), 60),
    ("Guido Gezellelaan", "2800", (51.03380, 4.48100), (51.03600, 4.48700), 120),
    ("Koningin Astridlaan", "2800", (51.02000, 4.46800), (51.03100, 4.46700), 200),
    ("Heffensesteenweg", "2801", (51.05000, 4.41800), (51.04300, 4.43300), 150),
    ("Dorp", "2811", (51.03220, 4.41960), (51.03340, 4.42230), 60),
    ("Muizenstraat", "2812", (51.00800, 4.51200), (51.00500, 4.52100), 120),
    ("Walemstraat", "2800", (51.06500, 4.43500), (51.07400, 4.43400), 120),
]
SIDE_M = 6.0  # odd numbers this far to one side of the street's line, even numbers to the other


def rows():
    for name, postcode, (lat1, lon1), (lat2, lon2), last in STREETS:
        metres_lat = 111_195.0
        metres_lon = metres_lat * math.cos(math.radians(lat1))
        dx, dy = (lon2 - lon1) * metres_lon, (lat2 - lat1) * metres_lat
        length = math.hypot(dx, dy)
        nx, ny = -dy / length, dx / length  # unit normal, metres
        for number in range(1, last + 1):
            t = (number - 1) / max(1, last - 1)
            side = SIDE_M if number % 2 else -SIDE_M
            lat = lat1 + t * (lat2 - lat1) + ny * side / metres_lat
            lon = lon1 + t * (lon2 - lon1) + nx * side / metres_lon
            yield name, str(number), postcode, "Mechelen", f"{lat:.6f}", f"{lon:.6f}"


if __name__ == "__main__":
    target = Path(__file__).with_name("mechelen_addresses.csv")
    with target.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["street", "number", "postcode", "municipality", "lat", "lon"])
        writer.writerows(rows())
