"""Product descriptions of the synthetic catalogue: real words tied to category and family.

Every product belongs to a *family* of its category (headphones, dresses,
serums, ...) and gets a short description built from its family's words, a
few of its category's words and a price-tier adjective. The words carry
signal, as in real catalogues: the category shapes what each persona buys,
and the price tier matches the personas' price preferences (premium buyers
pick the dearer products of a category). Drawn from their own random stream
(seeded from the generator's seed), so adding them changed no other draw.
"""

from __future__ import annotations

import numpy as np

from ._synthetic_config import CATEGORIES

__all__ = ["CATEGORY_WORDS", "FAMILIES", "describe_products"]

#: Families of each category: name -> words used in its descriptions.
FAMILIES: dict[str, dict[str, tuple[str, ...]]] = {
    "electronics": {
        "headphones": ("wireless", "noise cancelling", "bluetooth", "audio", "earbuds"),
        "smartphone": ("phone", "camera", "touchscreen", "battery", "unlocked"),
        "laptop": ("computer", "keyboard", "processor", "display", "portable"),
        "speaker": ("bluetooth", "bass", "audio", "waterproof", "portable"),
        "smartwatch": ("fitness tracker", "heart rate", "notifications", "wrist", "battery"),
    },
    "fashion": {
        "dress": ("cotton", "summer", "floral", "midi", "evening"),
        "jeans": ("denim", "slim fit", "stretch", "washed", "trousers"),
        "jacket": ("waterproof", "hooded", "padded", "winter", "coat"),
        "sneakers": ("shoes", "running", "leather", "lace up", "trainers"),
        "sweater": ("wool", "knitted", "crew neck", "cosy", "jumper"),
    },
    "beauty": {
        "serum": ("skincare", "vitamin", "hydrating", "face", "anti ageing"),
        "lipstick": ("matte", "colour", "lips", "makeup", "long lasting"),
        "shampoo": ("hair", "conditioner", "nourishing", "scalp", "salon"),
        "perfume": ("fragrance", "eau de parfum", "floral", "scent", "spray"),
        "moisturiser": ("cream", "skin", "face", "daily", "hydrating"),
    },
    "home": {
        "cookware": ("pan", "nonstick", "kitchen", "saucepan", "induction"),
        "bedding": ("duvet", "pillow", "cotton", "sheets", "bedroom"),
        "lamp": ("lighting", "led", "bedside", "shade", "living room"),
        "candle": ("scented", "wax", "candle holder", "vanilla", "decor"),
        "storage": ("basket", "boxes", "organiser", "shelf", "wardrobe"),
    },
    "grocery": {
        "coffee": ("beans", "ground", "roast", "espresso", "arabica"),
        "tea": ("green", "herbal", "leaves", "infusion", "earl grey"),
        "pasta": ("durum wheat", "spaghetti", "italian", "sauce", "penne"),
        "snacks": ("crisps", "nuts", "chocolate", "bar", "sweet"),
        "olive oil": ("extra virgin", "cold pressed", "dressing", "cooking", "mediterranean"),
    },
    "sports": {
        "yoga mat": ("yoga", "pilates", "non slip", "exercise", "stretching"),
        "dumbbells": ("weights", "strength", "gym", "training", "adjustable"),
        "running gear": ("running", "reflective", "breathable", "marathon", "jogging"),
        "bicycle accessory": ("cycling", "bike", "helmet", "lights", "saddle"),
        "tent": ("camping", "outdoor", "hiking", "waterproof", "sleeping bag"),
    },
    "books": {
        "novel": ("fiction", "paperback", "bestseller", "story", "author"),
        "cookbook": ("recipes", "cooking", "kitchen", "chef", "meals"),
        "biography": ("memoir", "life", "history", "hardback", "true story"),
        "children's book": ("picture book", "bedtime", "illustrated", "kids", "stories"),
        "travel guide": ("travel", "maps", "city", "guidebook", "itinerary"),
    },
    "toys": {
        "building blocks": ("bricks", "construction", "creative", "set", "build"),
        "puzzle": ("jigsaw", "pieces", "brain teaser", "family", "game"),
        "plush toy": ("soft toy", "teddy", "cuddly", "plush", "gift"),
        "board game": ("family game", "strategy", "cards", "dice", "players"),
        "toy car": ("remote control", "racing", "vehicle", "track", "kids"),
    },
}

#: Words every product of a category may carry.
CATEGORY_WORDS: dict[str, tuple[str, ...]] = {
    "electronics": ("electronic", "device", "gadget", "tech", "usb charging"),
    "fashion": ("clothing", "apparel", "style", "wardrobe", "fashion"),
    "beauty": ("beauty", "cosmetics", "care", "dermatologist tested", "vegan"),
    "home": ("home", "household", "interior", "living", "furnishing"),
    "grocery": ("food", "pantry", "organic", "fresh", "gourmet"),
    "sports": ("sport", "fitness", "active", "outdoor", "athletic"),
    "books": ("book", "reading", "edition", "pages", "literature"),
    "toys": ("toy", "play", "children", "ages 3 and up", "fun"),
}

_TIERS = (
    ("budget", "value", "basic", "affordable"),
    ("classic", "everyday", "essential", "standard"),
    ("premium", "luxury", "deluxe", "professional"),
)


def describe_products(
    seed: int, category: np.ndarray, price: np.ndarray
) -> tuple[list[str], list[str]]:
    """Family and description of every product (category codes index :data:`CATEGORIES`).

    The price tier is the product's price tercile within its category.
    """
    rng = np.random.default_rng([int(seed), 2206])  # its own stream: no other draw moves
    families, descriptions = [], []
    tier = np.ones(len(category), dtype=int)
    for code in range(len(CATEGORIES)):
        members = np.flatnonzero(category == code)
        if len(members) >= 3:
            ranks = np.argsort(np.argsort(price[members], kind="stable"), kind="stable")
            tier[members] = ranks * 3 // len(members)
    for product, code in enumerate(category):
        name = CATEGORIES[int(code)]
        family_names = list(FAMILIES[name])
        family = family_names[int(rng.integers(len(family_names)))]
        words = FAMILIES[name][family]
        chosen = rng.choice(len(words), size=2, replace=False)
        general = CATEGORY_WORDS[name][int(rng.integers(len(CATEGORY_WORDS[name])))]
        adjective = _TIERS[tier[product]][int(rng.integers(len(_TIERS[0])))]
        families.append(family)
        descriptions.append(
            f"{adjective} {family}: {words[chosen[0]]}, {words[chosen[1]]}, {general}"
        )
    return families, descriptions
