"""The goods catalogue: HS codes, names, brands, unit weights and reference prices.

Each item is one product line as customs sees it. ``gmodel`` follows the CEB convention
``brand_type|export_pref|brand|model``. Counterfeit and misdescribed goods are separate
goods declare an ordinary catalogue face (one honest sellers declare too) over a different
*true* item; only counterfeit LABUBU has a catalogue row of its own, never declared.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ITEMS", "CATALOG", "item_index", "gtin13", "IMPORT_ITEMS", "EXPORT_ITEMS",
           "TOY_ITEMS", "GENERIC_TOY_NAMES", "BARCODES", "BARCODE_PREFIX", "GENERIC_ITEMS",
           "IMPORT_GENERICS"]

# key, item_name, gname, gcode, brand_type, brand, model, unit kg, price CNY, side
ITEMS: list[tuple] = [
    # imports (side I): brands are foreign (3 OEM, 4 other)
    ("milk_a2", "a2 Platinum infant formula 900g", "infant formula", "1901101000", 4, "a2",
     "Platinum stage 3 900g", 1.05, 268.0, "I"),
    ("milk_apt", "Aptamil Profutura 800g", "infant formula", "1901101000", 4, "Aptamil",
     "Profutura 2 800g", 0.95, 298.0, "I"),
    ("serum_el", "Estee Lauder Advanced Night Repair 50ml", "essence", "3304990099", 4,
     "Estee Lauder", "ANR 50ml", 0.18, 720.0, "I"),
    ("cream_sk2", "SK-II Facial Treatment Essence 230ml", "skin care essence", "3304990099", 4,
     "SK-II", "FTE 230ml", 0.45, 1290.0, "I"),
    ("lipstick", "YSL Rouge Volupte lipstick", "lipstick", "3304100090", 4, "YSL",
     "Rouge Volupte", 0.05, 320.0, "I"),
    ("vitamin_sw", "Swisse vitamin C 60 tabs", "vitamin tablets", "2106909090", 4, "Swisse",
     "VitC 60", 0.15, 118.0, "I"),
    ("fishoil", "Blackmores fish oil 400 caps", "fish oil capsules", "2106909090", 4,
     "Blackmores", "Omega 400", 0.55, 189.0, "I"),
    ("handbag", "Coach tote bag", "leather handbag", "4202210000", 4, "Coach", "Tote 32",
     0.9, 2450.0, "I"),
    ("sneaker", "Nike Air Zoom running shoes", "sports shoes", "6404110000", 4, "Nike",
     "Air Zoom 42", 0.8, 899.0, "I"),
    ("watch", "Casio G-Shock watch", "wrist watch", "9102110000", 4, "Casio", "GA-2100", 0.1,
     780.0, "I"),
    ("diaper", "Merries diapers L 54", "baby diapers", "9619001100", 4, "Merries", "L54", 1.6,
     138.0, "I"),
    ("earbuds", "Sony WF-1000XM5 earbuds", "wireless earphones", "8518300000", 4, "Sony",
     "WF-1000XM5", 0.12, 1650.0, "I"),
    ("razor", "Braun Series 7 shaver", "electric shaver", "8510100000", 4, "Braun", "S7", 0.6,
     1399.0, "I"),
    ("wine", "Penfolds Bin 389 750ml", "red wine", "2204210000", 4, "Penfolds", "Bin389",
     1.4, 650.0, "I"),
    # exports (side E): domestic own brands (1), unbranded (0)
    ("phonecase", "Phone case silicone", "phone case", "3926909090", 0, "", "silicone", 0.04,
     18.0, "E"),
    ("charger", "USB-C charger 20W", "power adapter", "8504401400", 1, "Baseus", "20W", 0.08,
     45.0, "E"),
    ("tshirt", "Cotton T-shirt", "cotton t-shirt", "6109100021", 0, "", "M", 0.2, 32.0, "E"),
    ("dress", "Summer dress", "women's dress", "6204430090", 1, "SHEIN", "S", 0.3, 75.0, "E"),
    ("ledbulb", "LED bulb 9W", "LED bulb", "8539520000", 0, "", "E27 9W", 0.06, 8.0, "E"),
    ("kitchen", "Silicone kitchen utensil set", "kitchen utensils", "3924100000", 0, "",
     "5pcs", 0.5, 39.0, "E"),
    ("earbuds_cn", "Bluetooth earbuds", "wireless earphones", "8518300000", 1, "QCY", "T13",
     0.1, 79.0, "E"),
    ("jewelry", "Alloy necklace", "imitation jewellery", "7117190000", 0, "", "alloy", 0.03,
     12.0, "E"),
    ("bag_cn", "Canvas tote bag", "textile bag", "4202220000", 0, "", "canvas", 0.25, 28.0, "E"),
    ("drone", "Mini camera drone", "camera drone", "8806229000", 1, "DJI", "Mini 4", 0.25,
     2999.0, "E"),
    ("lamp", "Desk lamp LED", "table lamp", "9405210000", 0, "", "desk", 0.7, 59.0, "E"),
    # toys (side E): the POP MART case and its look-alikes
    ("plush_toy", "Plush toy 20cm", "plush toy", "9503002100", 0, "", "20cm", 0.15, 25.0, "E"),
    ("plastic_toy", "Plastic toy figure", "plastic toy", "9503008900", 0, "", "figure", 0.1,
     15.0, "E"),
    ("dino_toy", "Dinosaur toy set", "dinosaur toy", "9503008900", 0, "", "set of 6", 0.3,
     29.0, "E"),
    ("building_blocks", "Building blocks 500pcs", "building blocks", "9503004000", 0, "",
     "500pcs", 0.8, 69.0, "E"),
    ("labubu", "POP MART LABUBU The Monsters vinyl plush", "vinyl plush toy", "9503002100", 1,
     "POP MART", "LABUBU vinyl plush", 0.2, 99.0, "E"),
    ("skullpanda", "POP MART SKULLPANDA figure", "vinyl figure", "9503008900", 1, "POP MART",
     "SKULLPANDA blind box", 0.18, 69.0, "E"),
    # generic faces: declared by honest sellers too (small toy workshops, accessory and
    # parts traders, sloppy agents omit the brand); fraud hides behind the same faces
    ("toy_samples", "Plastic toy samples", "plastic toy samples", "9503008900", 0, "",
     "samples", 0.2, 6.0, "E"),
    ("plush_doll", "Plush doll", "plush toy", "9503002100", 0, "", "doll", 0.2, 12.0, "E"),
    ("vinyl_figure", "Vinyl figure", "vinyl toy", "9503008900", 4, "", "figure", 0.2, 22.0,
     "E"),
    ("plastic_parts", "Plastic parts", "plastic articles", "3926909090", 0, "", "parts",
     0.05, 9.0, "E"),
    # import generics: household and accessory goods honest importers bring in
    ("storage_box", "Plastic storage box", "plastic articles", "3924900000", 0, "", "box",
     0.4, 45.0, "I"),
    ("phone_parts", "Phone accessories", "phone accessories", "8517799000", 0, "", "parts",
     0.08, 39.0, "I"),
    ("hair_acc", "Hair accessories set", "hair accessories", "9615190000", 0, "", "set",
     0.1, 35.0, "I"),
    ("kitchen_i", "Kitchen gadgets", "kitchen utensils", "8215990000", 0, "", "gadget", 0.3,
     59.0, "I"),
    # the true goods of counterfeits: never declared, only found at inspection
    ("labubu_fake", "LABUBU vinyl plush (counterfeit)", "vinyl plush toy", "9503002100", 1,
     "POP MART", "LABUBU vinyl plush", 0.2, 99.0, "X"),
]

CATALOG = {
    "key": np.array([r[0] for r in ITEMS]),
    "item_name": np.array([r[1] for r in ITEMS], dtype=object),
    "gname": np.array([r[2] for r in ITEMS], dtype=object),
    "gcode": np.array([r[3] for r in ITEMS], dtype=object),
    "brand_type": np.array([r[4] for r in ITEMS]),
    "brand": np.array([r[5] for r in ITEMS], dtype=object),
    "model": np.array([r[6] for r in ITEMS], dtype=object),
    "unit_kg": np.array([r[7] for r in ITEMS], dtype=float),
    "price": np.array([r[8] for r in ITEMS], dtype=float),
    "side": np.array([r[9] for r in ITEMS]),
}
# gmodel as declared: brand_type|export_pref|brand|model
CATALOG["gmodel"] = np.array(
    [f"{r[4]}|0|{r[5]}|{r[6]}" for r in ITEMS], dtype=object)
_INDEX = {r[0]: i for i, r in enumerate(ITEMS)}


def item_index(key: str) -> int:
    """Position of the catalogue item called ``key``."""
    return _INDEX[key]


def gtin13(prefix12: np.ndarray) -> np.ndarray:
    """GTIN-13 strings from 12-digit integer prefixes (check digit computed, vectorised)."""
    digits = (prefix12[:, None] // 10 ** np.arange(11, -1, -1)) % 10
    weights = np.tile([1, 3], 6)
    check = (10 - (digits * weights).sum(axis=1) % 10) % 10
    return np.char.add(np.char.zfill(prefix12.astype(str), 12), check.astype(str))


IMPORT_ITEMS = np.flatnonzero(CATALOG["side"] == "I")
EXPORT_ITEMS = np.flatnonzero((CATALOG["side"] == "E") & (CATALOG["brand"] != "POP MART"))
# (TOY_ITEMS and the generics are defined after item_index below)
TOY_ITEMS = np.array([item_index(k) for k in ("plush_toy", "plastic_toy", "dino_toy",
                                               "building_blocks", "toy_samples", "plush_doll",
                                               "vinyl_figure")])
GENERIC_TOY_NAMES = {"plush toy", "plastic toy", "plastic toy samples", "dinosaur toy",
                     "LED bulb", "plastic articles"}
# One barcode per catalogue item: branded goods carry the brand owner's GTIN (a 12-digit
# prefix; the check digit is added when written). Counterfeits carry the genuine item's
# GTIN, none, or a made-up one; honest lines get the same noise (``messages``).
BARCODE_PREFIX = np.arange(len(ITEMS), dtype=np.int64) * 7919 + 697000000000
BARCODES = gtin13(BARCODE_PREFIX)
GENERIC_ITEMS = np.array([item_index(k) for k in ("toy_samples", "plush_doll", "vinyl_figure",
                                                   "plastic_parts")])
IMPORT_GENERICS = np.array([item_index(k) for k in ("storage_box", "phone_parts", "hair_acc",
                                                     "kitchen_i")])
