"""Word lists and shapes for the demo seed: countries, names, the category tree, seasonality.

Data, not logic: `devtools.seed` draws from these with a seeded Random.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# --- -------------------------------------------------------------------------------

# name: (weight, VAT in basis points, phone prefix, name pool, shipping zone)
COUNTRIES: dict[str, tuple[int, int, str, str, str]] = {
    "DE": (30, 1900, "+49", "de", "home"),
    "FR": (13, 2000, "+33", "fr", "eu"),
    "NL": (10, 2100, "+31", "nl", "eu"),
    "US": (9, 0, "+1", "en", "world"),
    "GB": (8, 2000, "+44", "en", "world"),
    "ES": (7, 2100, "+34", "es", "eu"),
    "IT": (7, 2200, "+39", "it", "eu"),
    "AT": (5, 2000, "+43", "de", "eu"),
    "BE": (4, 2100, "+32", "nl", "eu"),
    "PL": (3, 2300, "+48", "pl", "eu"),
    "SE": (2, 2500, "+46", "nordic", "eu"),
    "DK": (2, 2500, "+45", "nordic", "eu"),
}
# Shipping per zone: (price, free from this discounted subtotal), in cents.
SHIPPING = {"home": (495, 5000), "eu": (995, 8000), "world": (1995, 15000)}

FIRST_NAMES = {
    "de": "Anna, Lena, Marie, Sophie, Laura, Julia, Katharina, Lea, Hannah, Sarah, Jonas, Lukas, "
    "Leon, Paul, Felix, Maximilian, Jan, Tobias, Niklas, Stefan, Jürgen, Sabine, Björn, Jörg",
    "fr": "Camille, Léa, Manon, Chloé, Inès, Juliette, Emma, Louise, Claire, Amélie, Hugo, "
    "Lucas, Louis, Jules, Gabriel, Arthur, Théo, Nathan, Antoine, Mathieu",
    "nl": "Sanne, Femke, Lotte, Anouk, Eva, Fleur, Noor, Sophie, Daan, Sem, Lars, Bram, Thijs, "
    "Ruben, Jesse, Stijn, Joris, Pieter, Maarten, Wouter",
    "en": "Olivia, Emily, Amelia, Isla, Ava, Grace, Jessica, Charlotte, Madison, Hannah, Oliver, "
    "James, Jack, Harry, George, Noah, Ethan, Michael, Daniel, William",
    "es": "Lucía, María, Paula, Sofía, Carmen, Laura, Marta, Elena, Alba, Sara, Hugo, Pablo, "
    "Alejandro, Daniel, Javier, Carlos, Diego, Sergio, Álvaro, Mario",
    "it": "Giulia, Sofia, Aurora, Chiara, Francesca, Martina, Sara, Alessia, Elena, Valentina, "
    "Leonardo, Francesco, Alessandro, Lorenzo, Matteo, Andrea, Marco, Luca, Davide, Giuseppe",
    "pl": "Zuzanna, Julia, Maja, Zofia, Hanna, Agnieszka, Katarzyna, Anna, Jakub, Kacper, "
    "Szymon, Piotr, Tomasz, Michał, Paweł, Krzysztof",
    "nordic": "Astrid, Freja, Ingrid, Maja, Sofie, Ida, Elsa, Karin, Erik, Lars, Nils, Anders, "
    "Mads, Oskar, Magnus, Johan, Henrik, Emil",
}
LAST_NAMES = {
    "de": "Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz, Hoffmann, "
    "Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann, Braun, "
    "Krüger, Hofmann, Hartmann",
    "fr": "Martin, Bernard, Dubois, Thomas, Robert, Richard, Petit, Durand, Leroy, Moreau, "
    "Simon, Laurent, Lefèvre, Michel, Garcia, David, Bertrand, Roux, Vincent, Fournier",
    "nl": "de Jong, Jansen, de Vries, van den Berg, van Dijk, Bakker, Janssen, Visser, Smit, "
    "Meijer, de Boer, Mulder, de Groot, Bos, Vos, Peters, Hendriks, van Leeuwen, Dekker, "
    "Brouwer",
    "en": "Smith, Johnson, Williams, Brown, Jones, Taylor, Davies, Wilson, Evans, Thomas, "
    "Roberts, Walker, Wright, Robinson, Thompson, White, Hughes, Edwards, Green, Hall, Wood, "
    "Harris, Clarke, Miller",
    "es": "García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez, "
    "Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Álvarez, Romero, Navarro",
    "it": "Rossi, Russo, Ferrari, Esposito, Bianchi, Romano, Colombo, Ricci, Marino, Greco, "
    "Bruno, Gallo, Conti, De Luca, Costa, Giordano, Mancini, Rizzo, Lombardi, Moretti",
    "pl": "Nowak, Kowalski, Wiśniewski, Wójcik, Kowalczyk, Kamiński, Lewandowski, Zieliński, "
    "Szymański, Woźniak, Dąbrowski, Kozłowski",
    "nordic": "Andersson, Johansson, Karlsson, Nilsson, Eriksson, Larsson, Olsen, Hansen, "
    "Jensen, Nielsen, Pedersen, Christensen, Lindberg, Berg",
}
EMAIL_DOMAINS = ("example.com", "example.net", "example.org", "mail.example", "post.example")

COLOURS = ("Black", "White", "Navy", "Grey", "Olive", "Sand", "Burgundy", "Forest Green", "Blue")
SIZES = ("XS", "S", "M", "L", "XL", "XXL")
KIDS_SIZES = ("98", "110", "122", "134", "146", "158")
SHOE_SIZES = tuple(str(n) for n in range(37, 47))
# option kind: option name -> values (with a price multiplier and whether the variant is digital)
OPTIONS: dict[str, dict[str, tuple[tuple[str, float, bool], ...]]] = {
    "apparel": {
        "size": tuple((s, 1.0, False) for s in SIZES),
        "colour": tuple((c, 1.0, False) for c in COLOURS),
    },
    "kids": {
        "size": tuple((s, 1.0, False) for s in KIDS_SIZES),
        "colour": tuple((c, 1.0, False) for c in COLOURS),
    },
    "shoes": {
        "size": tuple((s, 1.0, False) for s in SHOE_SIZES),
        "colour": tuple((c, 1.0, False) for c in COLOURS[:5]),
    },
    "colour": {"colour": tuple((c, 1.0, False) for c in COLOURS)},
    "diameter": {"size": (("20 cm", 0.85, False), ("24 cm", 1.0, False), ("28 cm", 1.2, False))},
    "bedding": {
        "size": (("135x200", 1.0, False), ("155x220", 1.25, False), ("200x220", 1.5, False))
    },
    "volume": {"volume": (("30 ml", 0.7, False), ("50 ml", 1.0, False), ("100 ml", 1.6, False))},
    "book": {
        "format": (("Paperback", 1.0, False), ("Hardcover", 1.6, False), ("E-book", 0.6, True))
    },
    "none": {},
}


@dataclass(frozen=True)
class Leaf:
    """A leaf category and how to make its products."""

    path: tuple[str, str, str]
    code: str  # SKU prefix
    nouns: tuple[str, ...]
    materials: tuple[str, ...]
    price: tuple[int, int]  # euros
    options: str  # a key of OPTIONS
    grams: tuple[int, int]
    attributes: dict[str, tuple[Any, ...]] = field(default_factory=dict)


def _leaf(path: str, code: str, nouns: str, materials: str, price: tuple[int, int], options: str,
          grams: tuple[int, int], **attributes: tuple[Any, ...]) -> Leaf:  # fmt: skip
    top, middle, name = (part.strip() for part in path.split(">"))
    return Leaf((top, middle, name), code, tuple(nouns.split(", ")),
                tuple(materials.split(", ")) if materials else (), price, options, grams,
                attributes)  # fmt: skip


# fmt: off
_FIT = ("Regular", "Slim", "Relaxed", "Oversized")
_CARE = ("Machine wash 30°C", "Machine wash 40°C", "Hand wash", "Dry clean only")
_YES_NO = (True, False)
LEAVES: tuple[Leaf, ...] = (
    _leaf("Apparel > Men > T-shirts", "MTS", "Crew T-shirt, V-neck T-shirt, Pocket Tee, Henley",
          "Organic Cotton, Cotton, Linen, Merino", (15, 45), "apparel", (150, 260), fit=_FIT,
          care=_CARE),
    _leaf("Apparel > Men > Shirts", "MSH", "Oxford Shirt, Flannel Shirt, Overshirt, Poplin Shirt",
          "Cotton, Linen, Flannel, Denim", (35, 90), "apparel", (250, 420), fit=_FIT, care=_CARE),
    _leaf("Apparel > Men > Jeans", "MJN", "Straight Jeans, Slim Jeans, Tapered Jeans, Chinos",
          "Selvedge Denim, Stretch Denim, Organic Denim", (49, 140), "apparel", (550, 800),
          fit=_FIT, rise=("Mid", "High", "Low")),
    _leaf("Apparel > Men > Jackets", "MJK", "Parka, Bomber Jacket, Rain Jacket, Puffer Jacket",
          "Recycled Nylon, Wool, Waxed Cotton, Down", (89, 320), "apparel", (600, 1500),
          waterproof=_YES_NO, fit=_FIT),
    _leaf("Apparel > Men > Sneakers", "MSN", "Court Sneaker, Runner, Skate Shoe, High-top",
          "Leather, Canvas, Suede, Recycled Knit", (59, 180), "shoes", (700, 1200),
          sole=("Rubber", "EVA", "Natural rubber")),
    _leaf("Apparel > Women > Dresses", "WDR", "Wrap Dress, Midi Dress, Shirt Dress, Maxi Dress",
          "Linen, Viscose, Cotton, Silk", (39, 160), "apparel", (200, 500), fit=_FIT, care=_CARE),
    _leaf("Apparel > Women > Tops", "WTP", "Blouse, Tank Top, Cardigan, Sweater, Tee",
          "Cotton, Merino, Cashmere, Linen", (19, 120), "apparel", (150, 450), fit=_FIT,
          care=_CARE),
    _leaf("Apparel > Women > Jeans", "WJN", "Mom Jeans, Wide-leg Jeans, Skinny Jeans, Flares",
          "Stretch Denim, Organic Denim, Rigid Denim", (49, 130), "apparel", (450, 750),
          fit=_FIT, rise=("Mid", "High")),
    _leaf("Apparel > Women > Sneakers", "WSN", "Court Sneaker, Runner, Slip-on, High-top",
          "Leather, Canvas, Suede, Recycled Knit", (59, 170), "shoes", (600, 1000),
          sole=("Rubber", "EVA", "Natural rubber")),
    _leaf("Apparel > Kids > Outerwear", "KOW", "Rain Jacket, Snowsuit, Fleece Jacket, Puffer",
          "Recycled Polyester, Fleece, Cotton", (29, 95), "kids", (250, 700), waterproof=_YES_NO),
    _leaf("Apparel > Kids > T-shirts", "KTS", "Graphic Tee, Striped Tee, Long-sleeve Tee",
          "Organic Cotton, Cotton", (9, 25), "kids", (80, 160), care=_CARE),
    _leaf("Home > Kitchen > Cookware", "HCW", "Frying Pan, Saucepan, Casserole, Wok, Sauté Pan",
          "Cast Iron, Stainless Steel, Carbon Steel, Ceramic", (25, 180), "diameter", (900, 3500),
          induction=_YES_NO, oven_safe_c=(180, 220, 260)),
    _leaf("Home > Kitchen > Knives", "HKN", "Chef's Knife, Santoku, Bread Knife, Paring Knife",
          "Damascus Steel, Carbon Steel, Stainless Steel", (29, 220), "none", (150, 350),
          blade_cm=(9, 14, 18, 20, 23)),
    _leaf("Home > Kitchen > Coffee & Tea", "HCT", "French Press, Pour-over Set, Teapot, Grinder",
          "Glass, Porcelain, Stoneware, Stainless Steel", (15, 140), "colour", (300, 1600),
          dishwasher_safe=_YES_NO),
    _leaf("Home > Living > Cushions", "HCU", "Cushion Cover, Throw Pillow, Floor Cushion",
          "Linen, Velvet, Wool, Cotton", (15, 60), "colour", (200, 900),
          size_cm=("40x40", "50x50", "60x60")),
    _leaf("Home > Living > Lamps", "HLA", "Table Lamp, Floor Lamp, Pendant Light, Desk Lamp",
          "Brass, Oak, Opal Glass, Rattan, Steel", (39, 290), "colour", (900, 6000),
          bulb=("E27", "E14", "Integrated LED")),
    _leaf("Home > Living > Vases", "HVA", "Vase, Bud Vase, Planter, Bowl",
          "Stoneware, Glass, Terracotta, Porcelain", (15, 90), "colour", (300, 2200)),
    _leaf("Home > Bedroom > Bedding", "HBD", "Duvet Cover Set, Fitted Sheet, Pillowcase Pair",
          "Percale Cotton, Sateen, Linen, Organic Cotton", (29, 190), "bedding", (600, 2200),
          thread_count=(200, 300, 400)),
    _leaf("Home > Bedroom > Towels", "HTW", "Bath Towel, Hand Towel, Towel Set, Bath Mat",
          "Organic Cotton, Waffle Cotton, Linen", (12, 79), "colour", (300, 1500),
          gsm=(450, 550, 650)),
    _leaf("Electronics > Audio > Headphones", "EHP", "Wireless Headphones, Earbuds, "
          "Noise-cancelling Headphones, Studio Headphones", "", (39, 399), "colour", (40, 350),
          battery_hours=(8, 20, 30, 40), connectivity=("Bluetooth 5.3", "Bluetooth 5.0", "Wired"),
          noise_cancelling=_YES_NO),
    _leaf("Electronics > Audio > Speakers", "ESP", "Portable Speaker, Bookshelf Speaker, "
          "Smart Speaker, Soundbar", "", (49, 499), "colour", (500, 4500),
          battery_hours=(10, 15, 24), waterproof=_YES_NO),
    _leaf("Electronics > Computer Accessories > Keyboards", "EKB", "Mechanical Keyboard, "
          "Wireless Keyboard, Compact Keyboard", "", (39, 229), "colour", (500, 1200),
          layout=("DE", "US", "UK", "FR"), switches=("Brown", "Red", "Blue", "Scissor")),
    _leaf("Electronics > Computer Accessories > Mice", "EMS", "Wireless Mouse, Ergonomic Mouse, "
          "Gaming Mouse, Trackpad", "", (19, 149), "colour", (60, 200), dpi=(1600, 4000, 16000)),
    _leaf("Electronics > Computer Accessories > Cables & Chargers", "ECC", "USB-C Cable, "
          "Charger, Charging Dock, Hub", "", (9, 89), "colour", (40, 400),
          watts=(20, 30, 65, 100, 140)),
    _leaf("Electronics > Phone Accessories > Cases", "EPC", "Phone Case, Wallet Case, Clear Case",
          "Silicone, Leather, Recycled Plastic", (15, 59), "colour", (30, 80),
          model=("iPhone 16", "iPhone 15", "Galaxy S25", "Pixel 9")),
    _leaf("Electronics > Phone Accessories > Power Banks", "EPB", "Power Bank, "
          "Magnetic Power Bank, Solar Power Bank", "", (25, 99), "colour", (150, 450),
          capacity_mah=(5000, 10000, 20000)),
    _leaf("Sports > Running > Running Shoes", "SRS", "Road Running Shoe, Trail Running Shoe, "
          "Racing Flat", "Mesh, Knit", (79, 220), "shoes", (450, 700), drop_mm=(4, 6, 8, 10)),
    _leaf("Sports > Running > Running Apparel", "SRA", "Running Tee, Running Tights, "
          "Running Shorts, Wind Jacket", "Recycled Polyester, Merino", (25, 130), "apparel",
          (100, 350), reflective=_YES_NO),
    _leaf("Sports > Yoga > Mats & Props", "SYM", "Yoga Mat, Yoga Block, Yoga Strap, Bolster",
          "Natural Rubber, Cork, TPE", (12, 110), "colour", (300, 2500), thickness_mm=(3, 4, 6)),
    _leaf("Sports > Outdoor > Backpacks", "SOB", "Daypack, Hiking Backpack, Rolltop Backpack, "
          "Travel Pack", "Recycled Nylon, Canvas, Ripstop", (39, 260), "colour", (500, 1800),
          litres=(18, 24, 30, 40)),
    _leaf("Sports > Outdoor > Bottles", "SOT", "Water Bottle, Insulated Flask, Travel Mug",
          "Stainless Steel, Glass, Tritan", (12, 49), "colour", (200, 500),
          capacity_ml=(500, 750, 1000)),
    _leaf("Beauty > Skincare > Face Care", "BSF", "Face Cream, Serum, Cleanser, Eye Cream, "
          "Face Oil", "", (12, 95), "volume", (60, 250),
          skin_type=("Dry", "Normal", "Oily", "Combination", "Sensitive"), vegan=_YES_NO),
    _leaf("Beauty > Haircare > Shampoo & Conditioner", "BHC", "Shampoo, Conditioner, Hair Mask, "
          "Hair Oil", "", (8, 45), "volume", (80, 400),
          hair_type=("Curly", "Fine", "Coloured", "All hair types")),
    _leaf("Beauty > Fragrance > Eau de Parfum", "BFR", "Eau de Parfum, Eau de Toilette, "
          "Body Mist", "", (29, 160), "volume", (150, 450),
          notes=("Woody", "Floral", "Citrus", "Amber", "Fresh")),
    _leaf("Books > Fiction > Novels", "BKN", "Harbour, Orchard, Winter, Lighthouse, River, "
          "Garden, Summer, Island", "", (10, 28), "book", (250, 700),
          language=("English", "German", "French"), pages=(224, 288, 352, 416, 512)),
    _leaf("Books > Non-fiction > Cooking", "BKC", "Kitchen, Table, Bread, Pasta, Vegetables, "
          "Baking, Spices", "", (18, 45), "book", (600, 1400), language=("English", "German"),
          pages=(192, 256, 320)),
    _leaf("Books > Non-fiction > Travel", "BKT", "Lisbon, Kyoto, the Alps, Scotland, "
          "the Baltic, Andalusia, Iceland", "", (14, 35), "book", (300, 800),
          language=("English", "German", "French"), pages=(160, 240, 320)),
)
BOOK_OPENERS = {
    "BKN": ("The Last", "The Silent", "A House by the", "The Hidden", "Letters from the",
            "The Northern", "A Year in the", "The Golden"),
    "BKC": ("The Joy of", "Simple", "A Year of", "The Little Book of", "Everyday", "Slow"),
    "BKT": ("Slow Days in", "Walking", "A Guide to", "Hidden", "Off the Map:", "Winter in"),
}
# Department: share of the catalog, brands.
DEPARTMENTS: dict[str, tuple[float, tuple[str, ...]]] = {
    "Apparel": (0.36, ("Nordvik", "Maison Lune", "Kestrel & Co", "Oakridge", "Fjell",
                       "Atelier Verde", "Common Thread", "Solace", "Bluewater Denim",
                       "Little Acorn")),
    "Home": (0.2, ("Hearth & Hollow", "Lumen", "Kiln Studio", "Casa Alba", "Nordlicht",
                   "Linnea")),
    "Electronics": (0.15, ("Soundvale", "Voltaic", "Keyforge", "Arclight", "Pebble Audio",
                           "Tether")),
    "Sports": (0.12, ("Stride", "Summit Supply", "Flowform", "Trailhead", "Basecamp")),
    "Beauty": (0.1, ("Botanica", "Aurel", "Pure Ritual", "Saltwater Skin", "Maison Iris")),
    "Books": (0.07, ("Lantern Press", "Harbour Books", "Wayfarer Publishing", "Salt & Ink")),
}
ADJECTIVES = ("Classic", "Essential", "Everyday", "Premium", "Heritage", "Urban", "Coastal",
              "Nordic", "Alpine", "Studio", "Signature", "Weekend", "Modern", "Original",
              "Lightweight", "Soft")
TAGS = ("new", "bestseller", "sustainable", "gift-idea", "limited", "vegan", "organic", "recycled")
BLURBS = ("Designed to be used every day and to last for years.",
          "Made in small batches by a family business we have worked with for years.",
          "A customer favourite, restocked every season.",
          "Thoughtfully made, with less packaging and no plastic.",
          "Backed by a two-year guarantee and free returns within 30 days.")

# Shape of the order stream: month (Jan..Dec), weekday (Mon..Sun) and hour of day (UTC).
MONTH_FACTORS = (0.85, 0.8, 0.9, 0.95, 0.95, 0.85, 0.75, 0.75, 0.95, 1.05, 1.5, 1.65)
WEEKDAY_FACTORS = (1.15, 1.0, 1.0, 1.0, 0.9, 0.78, 1.25)
HOUR_FACTORS = (0.6, 0.35, 0.2, 0.15, 0.15, 0.25, 0.6, 1.2, 1.8, 2.2, 2.4, 2.5, 2.7, 2.6, 2.4,
                2.3, 2.4, 2.7, 3.0, 3.4, 3.6, 3.2, 2.2, 1.2)
LINE_COUNTS = (45, 28, 15, 8, 4)  # weights of 1..5 lines per order
VARIANT_COUNTS = (30, 30, 20, 20)  # weights of 1..4 variants per product
# fmt: on
GROWTH = 0.45  # the last day of the window sells 45% more than the first, all else equal
GUEST_SHARE = 0.3
