"""Demographics and fake personal data of synthetic customers.

Demographics are drawn conditionally on the persona, so that they carry real
(but imperfect) signal about behaviour. Personal data is plausible and
effectively unique per customer: emails and street addresses are unique by
construction; names (about 780,000 combinations) and phone numbers (10,000 per
city) are re-drawn until they are, which succeeds for any realistic table size.
Emails use the reserved ``example.*`` domains and phone numbers the 555
exchange conventionally used in fiction.
"""

from __future__ import annotations

import numpy as np

from ._synthetic_config import (
    DAYS_PER_YEAR,
    PERSONAS,
    REGIONS,
    persona_array,
)


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FEMALE_FIRST = _words(
    "Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa Nancy "
    "Betty Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa Deborah "
    "Stephanie Rebecca Sharon Laura Cynthia Dorothy Amy Kathleen Angela Shirley Emma Brenda "
    "Pamela Nicole Anna Samantha Katherine Christine Debra Rachel Carolyn Janet Maria Olivia "
    "Heather Helen Catherine Diane Julie Victoria Joyce Lauren Kelly Christina Ruth Joan "
    "Virginia Judith Evelyn Hannah Andrea Megan Cheryl Jacqueline Madison Teresa Abigail "
    "Sophia Martha Sara Gloria Janice Kathryn Ann Isabella Judy Charlotte Julia Grace Amber"
)
MALE_FIRST = _words(
    "James Robert John Michael David William Richard Joseph Thomas Christopher Charles "
    "Daniel Matthew Anthony Mark Donald Steven Andrew Paul Joshua Kenneth Kevin Brian "
    "Timothy Ronald George Jason Edward Jeffrey Ryan Jacob Nicholas Gary Eric Jonathan "
    "Stephen Larry Justin Scott Brandon Benjamin Samuel Gregory Alexander Patrick Frank "
    "Raymond Jack Dennis Jerry Tyler Aaron Jose Adam Nathan Henry Zachary Douglas Peter "
    "Kyle Noah Ethan Jeremy Christian Walter Keith Austin Roger Terry Sean Gerald Carl "
    "Dylan Harold Jordan Jesse Bryan Lawrence Arthur Gabriel Bruce Logan Billy Joe Alan"
)
LAST_NAMES = _words(
    "Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez "
    "Lopez Gonzalez Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson "
    "White Harris Sanchez Clark Ramirez Lewis Robinson Walker Young Allen King Wright Scott "
    "Torres Nguyen Hill Flores Green Adams Nelson Baker Hall Rivera Campbell Mitchell "
    "Carter Roberts Gomez Phillips Evans Turner Diaz Parker Cruz Edwards Collins Reyes "
    "Stewart Morris Morales Murphy Cook Rogers Gutierrez Ortiz Morgan Cooper Peterson "
    "Bailey Reed Kelly Howard Ramos Kim Cox Ward Richardson Watson Brooks Chavez Wood "
    "James Bennett Gray Mendoza Ruiz Hughes Price Alvarez Castillo Sanders Patel Myers "
    "Long Ross Foster Jimenez Powell Jenkins Perry Russell Sullivan Bell Coleman Butler "
    "Henderson Barnes Gonzales Fisher Vasquez Simmons Romero Jordan Patterson Alexander "
    "Hamilton Graham Reynolds Griffin Wallace Moreno West Cole Hayes Bryant Herrera Gibson "
    "Ellis Tran Medina Aguilar Stevens Murray Ford Castro Marshall Owens Harrison Fernandez "
    "McDonald Woods Washington Kennedy Wells Vargas Henry Chen Freeman Webb Tucker Guzman "
    "Burns Crawford Olson Simpson Porter Hunter Gordon Mendez Silva Shaw Snyder Mason Dixon "
    "O'Brien Nakamura Kowalski Schmidt Novak Rossi Dubois Jensen Larsen Okafor Haddad Singh"
)
STREETS = _words(
    "Oak Maple Cedar Pine Elm Walnut Willow Birch Spruce Chestnut Hickory Magnolia Aspen "
    "Sycamore Laurel Juniper Cypress Poplar Hawthorn Alder Main Park Lake Hill River Forest "
    "Meadow Spring Sunset Highland Ridge Valley Church Mill Market Union Franklin Lincoln "
    "Washington Jefferson Madison Jackson Adams Monroe Grant Harrison Cleveland Garfield "
    "Prospect Orchard Colonial Heritage Liberty Victory Fairview Glenwood Riverside Lakeview "
    "Brookside Kingston Windsor Cambridge Oxford Hampton Lexington Arlington Somerset Dover "
    "Chester Belmont Clifton Ashland Bedford Salem Newport Greenwood Westwood Northgate "
    "Southview Eastwood Harbor Canyon Mesa Summit Crescent Meridian Beacon Heron Falcon "
    "Sparrow Cardinal Bluebird Quail Fox Deer Bear Wolf Elk Bison Cherry Apple Peach Plum"
)
STREET_SUFFIXES = ("St", "Ave", "Rd", "Blvd", "Ln", "Dr", "Ct", "Way", "Pl")
#: (city, state, first three zip digits, area code) per region, in REGIONS order.
CITIES = (
    (
        ("New York", "NY", "100", "212"),
        ("Boston", "MA", "021", "617"),
        ("Philadelphia", "PA", "191", "215"),
        ("Pittsburgh", "PA", "152", "412"),
        ("Hartford", "CT", "061", "860"),
        ("Providence", "RI", "029", "401"),
        ("Newark", "NJ", "071", "973"),
        ("Buffalo", "NY", "142", "716"),
    ),
    (
        ("Chicago", "IL", "606", "312"),
        ("Detroit", "MI", "482", "313"),
        ("Minneapolis", "MN", "554", "612"),
        ("Columbus", "OH", "432", "614"),
        ("Milwaukee", "WI", "532", "414"),
        ("Kansas City", "MO", "641", "816"),
        ("Indianapolis", "IN", "462", "317"),
        ("Omaha", "NE", "681", "402"),
    ),
    (
        ("Atlanta", "GA", "303", "404"),
        ("Houston", "TX", "770", "713"),
        ("Dallas", "TX", "752", "214"),
        ("Miami", "FL", "331", "305"),
        ("Charlotte", "NC", "282", "704"),
        ("Nashville", "TN", "372", "615"),
        ("Austin", "TX", "787", "512"),
        ("Orlando", "FL", "328", "407"),
    ),
    (
        ("Los Angeles", "CA", "900", "213"),
        ("Seattle", "WA", "981", "206"),
        ("Denver", "CO", "802", "303"),
        ("Phoenix", "AZ", "850", "602"),
        ("Portland", "OR", "972", "503"),
        ("San Diego", "CA", "921", "619"),
        ("Las Vegas", "NV", "891", "702"),
        ("Salt Lake City", "UT", "841", "801"),
    ),
)
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example.com")
_MAX_REDRAWS = 20


def _choice_by_row(rng: np.random.Generator, probabilities: np.ndarray) -> np.ndarray:
    """One categorical draw per row of a (rows, options) probability matrix."""
    cumulative = np.cumsum(probabilities, axis=1)
    draws = rng.random(len(probabilities))[:, None] * cumulative[:, -1:]
    return np.minimum((draws >= cumulative).sum(axis=1), probabilities.shape[1] - 1)


def draw_demographics(rng: np.random.Generator, persona: np.ndarray) -> dict[str, np.ndarray]:
    """Birth date, gender, income, region and channel, conditional on persona.

    Returns plain arrays: ``birth_days`` (days before the window start), ``gender``,
    ``region`` and ``channel`` as codes into the label tuples, ``income``.
    """
    n = len(persona)
    age_mean = persona_array("age_mean")[persona]
    age_sd = persona_array("age_sd")[persona]
    # Everyone is an adult when the observation window opens.
    age_at_start = np.clip(rng.normal(age_mean, age_sd), 18.0, 88.0)
    birth_days = np.floor(age_at_start * DAYS_PER_YEAR).astype(np.int64)

    female = persona_array("female_share")[persona]
    nonbinary_share = 0.02
    gender_probs = np.column_stack(
        [female * (1 - nonbinary_share), (1 - female) * (1 - nonbinary_share)]
        + [np.full(n, nonbinary_share)]
    )
    gender = _choice_by_row(rng, gender_probs)

    income_median = persona_array("income_median")[persona]
    income = np.round(income_median * np.exp(rng.normal(0.0, 0.35, n)), -2)

    region_mix = np.array([p.region_mix for p in PERSONAS])[persona]
    region = _choice_by_row(rng, region_mix)
    channel_mix = np.array([p.channel_mix for p in PERSONAS])[persona]
    channel = _choice_by_row(rng, channel_mix)
    return {
        "birth_days": birth_days,
        "gender": gender,
        "income": income,
        "region": region,
        "channel": channel,
    }


def _redraw_until_unique(
    rng: np.random.Generator, codes: np.ndarray, sizes: tuple[int, ...], redraw_column: int
) -> np.ndarray:
    """Re-draw one component of duplicated code tuples until the tuples are unique.

    Gives up after a fixed number of rounds when the population is larger than
    the number of combinations; the remaining duplicates are then kept.
    """
    codes = codes.copy()
    for _ in range(_MAX_REDRAWS):
        keys = np.ravel_multi_index(tuple(codes.T), sizes)
        _, first_index = np.unique(keys, return_index=True)
        duplicate = np.ones(len(keys), dtype=bool)
        duplicate[first_index] = False
        if not duplicate.any():
            break
        codes[duplicate, redraw_column] = rng.integers(0, sizes[redraw_column], duplicate.sum())
    return codes


def _sample_unique(rng: np.random.Generator, population: int, size: int) -> np.ndarray:
    """``size`` distinct integers below ``population`` (with repeats if impossible)."""
    return rng.choice(population, size=size, replace=size > population)


def draw_personal_data(
    rng: np.random.Generator, gender: np.ndarray, region: np.ndarray
) -> dict[str, list[str]]:
    """Fake name, email, phone and address for each customer.

    First names follow the gender; the city, zip code and area code follow the
    region.
    """
    n = len(gender)
    n_first = min(len(FEMALE_FIRST), len(MALE_FIRST))
    # Nonbinary customers get a first name from either list.
    name_list = np.where(gender == 2, rng.integers(0, 2, n), gender)
    codes = np.column_stack(
        [
            name_list,
            rng.integers(0, n_first, n),
            rng.integers(0, 26, n),
            rng.integers(0, len(LAST_NAMES), n),
        ]
    )
    codes = _redraw_until_unique(rng, codes, (2, n_first, 26, len(LAST_NAMES)), redraw_column=3)
    first_lists = (FEMALE_FIRST, MALE_FIRST)
    first = [first_lists[lst][i] for lst, i in zip(codes[:, 0], codes[:, 1], strict=True)]
    last = [LAST_NAMES[i] for i in codes[:, 3]]
    names = [f"{f} {chr(65 + m)}. {la}" for f, m, la in zip(first, codes[:, 2], last, strict=True)]

    # A distinct number per customer makes every email unique by construction.
    email_numbers = _sample_unique(rng, max(10 * n, 100_000), n)
    pattern = rng.integers(0, 4, n)
    domain = rng.integers(0, len(EMAIL_DOMAINS), n)
    emails = []
    for f, la, number, p, d in zip(first, last, email_numbers, pattern, domain, strict=True):
        f_clean, la_clean = f.lower(), la.lower().replace("'", "")
        local = (f"{f_clean}.{la_clean}", f"{f_clean[0]}{la_clean}", f"{f_clean}_{la_clean}")
        local_part = local[p] if p < 3 else f"{la_clean}.{f_clean[0]}"
        emails.append(f"{local_part}{number}@{EMAIL_DOMAINS[d]}")

    city = rng.integers(0, len(CITIES[0]), n)
    city_rows = [CITIES[r][c] for r, c in zip(region, city, strict=True)]
    # Phone numbers share the area code of the city, so the line number is
    # re-drawn until (region, city, line) is unique.
    phone_codes = np.column_stack([region, city, rng.integers(0, 10_000, n)])
    phone_codes = _redraw_until_unique(
        rng, phone_codes, (len(REGIONS), len(CITIES[0]), 10_000), redraw_column=2
    )
    phone_format = rng.integers(0, 3, n)
    phones = []
    for (_, _, _, area), number, fmt in zip(
        city_rows, phone_codes[:, 2], phone_format, strict=True
    ):
        line = f"{number:04d}"
        phones.append((f"({area}) 555-{line}", f"{area}-555-{line}", f"+1 {area} 555 {line}")[fmt])

    street_codes = _sample_unique(rng, 9_900 * len(STREETS) * len(STREET_SUFFIXES), n)
    house, rest = np.divmod(street_codes, len(STREETS) * len(STREET_SUFFIXES))
    street, suffix = np.divmod(rest, len(STREET_SUFFIXES))
    zip_tail = rng.integers(0, 100, n)
    apartment = np.where(rng.random(n) < 0.25, rng.integers(1, 40, n), 0)
    addresses = []
    for h, s, x, (city_name, state, zip3, _), z, apt in zip(
        house, street, suffix, city_rows, zip_tail, apartment, strict=True
    ):
        unit = f" Apt {apt}" if apt else ""
        addresses.append(
            f"{h + 100} {STREETS[s]} {STREET_SUFFIXES[x]}{unit}, {city_name}, {state} {zip3}{z:02d}"
        )
    return {"name": names, "email": emails, "phone": phones, "address": addresses}
