"""Builds Apicbase assortment files (one JSON object per sold package) from plain data.

Each article is checked against the rules Apicbase documents for assortment
files; an article that breaks one is left out of the file and its problems are
returned, so one bad product never blocks a whole catalogue.
"""
import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import lru_cache

from . import content as content_lib
from .errors import ContentError

PRICE_STEP = Decimal("0.001")  # Apicbase takes prices with up to 3 decimals
LIMITS = {"third_party_id": 50, "shared_id": 50, "name": 300, "brand": 150, "package_type": 50}


@dataclass(frozen=True)
class Article:
    """What Odoo knows of one package it sells (a product variant, priced for one assortment)."""
    third_party_id: str
    name: str
    price: Decimal | None
    content_label: str | None
    shared_id: str | None = None
    brand: str | None = None
    description: str | None = None
    package_type: str | None = None
    price_type_code: int = 0
    price_unit: str | None = None
    orderable: bool = True
    lead_time_days: int | None = None
    weighted: bool = False
    gtin: str | None = None
    order_multiplier: int | None = None
    extra: dict = field(default_factory=dict, compare=False, hash=False)


def format_lead_time(days):
    """Apicbase's duration format ``[DD] [HH:[MM:]]ss``: whole days only."""
    return f"{int(days)} 00:00:00"


@lru_cache(maxsize=4096)
def _description_for(label, gtin, unit_map_key):
    """Parses a content label once per (label, GTIN, unit map); catalogues repeat them a lot."""
    unit_map = dict(unit_map_key) if unit_map_key else None
    parsed = content_lib.parse_label(label)
    if gtin:
        parsed = _with_outer_gtin(parsed, gtin)
    return content_lib.to_description(parsed, unit_map=unit_map)


def _with_outer_gtin(parsed, gtin):
    if parsed.levels:
        outer = content_lib.Level(parsed.levels[0].quantity, gtin)
        # A label names no GTIN: the innermost level has none.
        return content_lib.Content(levels=(outer,) + parsed.levels[1:], quantity=parsed.quantity, unit=parsed.unit)
    return content_lib.Content(levels=(), quantity=parsed.quantity, unit=parsed.unit, gtin=gtin)


def _unit_map_key(unit_map):
    return tuple(sorted(unit_map.items())) if unit_map else None


def _text_problems(article):
    problems = []
    for name, limit in LIMITS.items():
        value = getattr(article, name)
        if value and len(value) > limit:
            problems.append((name, f"is {len(value)} characters long, Apicbase takes at most {limit}"))
    if not article.third_party_id:
        problems.append(("third_party_id", "is required (set an internal reference)"))
    if not article.name:
        problems.append(("name", "is required"))
    return problems


def _price_problems(article):
    if article.price is None:
        return [("price", "is missing (no price in the assortment's pricelist)")]
    if article.price < 0:
        return [("price", f"must not be negative, got {article.price}")]
    if article.price_type_code == 1:
        if not article.price_unit:
            return [("price_unit", "is required when the price is per unit")]
        if article.price_unit not in content_lib.APICBASE_UNITS:
            return [("price_unit", f"{article.price_unit!r} is not a unit Apicbase accepts")]
    return []


def build_package(article, unit_map=None):
    """The assortment-file object of ``article``; raises ContentError listing every problem."""
    problems = _text_problems(article) + _price_problems(article)
    description = None  # pragma: no mutate
    if not article.content_label:
        problems.append(("package_description", "no content is set (e.g. 4 x 6 x 33 cl)"))
    else:
        try:
            description = _description_for(article.content_label, article.gtin or None, _unit_map_key(unit_map))
        except ContentError as exc:
            problems.extend(exc.problems)
    if article.order_multiplier is not None and article.order_multiplier < 1:
        problems.append(("order_multiplier", "must be a positive whole number"))
    if problems:
        raise ContentError(problems)
    return _package_dict(article, description)


def _package_dict(article, description):
    package = {
        "third_party_id": article.third_party_id,
        "name": article.name,
        "price": article.price.quantize(PRICE_STEP, rounding=ROUND_HALF_UP),
        "price_type_code": article.price_type_code,
        "orderable": bool(article.orderable),
        "weighted": bool(article.weighted),
        "package_description": description,
    }
    optional = {
        "shared_id": article.shared_id, "brand": article.brand, "description": article.description,
        "package_type": article.package_type, "gtin": article.gtin,
        "price_unit": article.price_unit if article.price_type_code == 1 else None,
        "lead_time": format_lead_time(article.lead_time_days) if article.lead_time_days else None,
        "order_multiplier": article.order_multiplier,
    }
    package.update({key: value for key, value in optional.items() if value not in (None, "")})
    return package


def build_assortment(articles, unit_map=None):
    """Returns ``(packages, rejected)``; rejected maps third_party_id (or name) to its problems."""
    articles = list(articles)
    counts = Counter(article.third_party_id for article in articles if article.third_party_id)
    packages, rejected = [], {}
    for article in articles:
        key = article.third_party_id or article.name
        if counts[article.third_party_id] > 1:
            # Orders name the article number only: a shared one could never be ordered.
            rejected[key] = [("third_party_id", f"{article.third_party_id} is the article number of "
                                                f"{counts[article.third_party_id]} products")]
            continue
        try:
            packages.append(build_package(article, unit_map))
        except ContentError as exc:
            rejected[key] = exc.problems
    return packages, rejected


def package_warnings(article):
    """What Apicbase's quality check frowns upon without refusing the package."""
    warnings = []
    label = article.content_label
    if label and label.lower().rstrip().endswith(("piece", "pieces", "pc", "pcs", "st", "stuks")):
        warnings.append(("package_description", "counted in pieces: Apicbase prefers a weight or volume"))
    if not article.gtin:
        warnings.append(("gtin", "no GTIN (barcode)"))
    return warnings


def dumps(packages):
    """The file's bytes: UTF-8 JSON, decimals as exact JSON numbers."""
    return json.dumps(packages, default=_json_default, ensure_ascii=False, sort_keys=True).encode()  # pragma: no mutate


def file_hash(packages):
    """Fingerprint of an assortment: republish only when it changes."""
    return hashlib.sha256(dumps(packages)).hexdigest()


def _json_default(value):
    # A JSON number, not a string. Prices have <= 3 and quantities <= 6 decimals, well
    # inside float's 15 significant digits, so the shortest float repr is the decimal itself.
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


# ----------------------------------------------------------------------------------------------
# What a new file changes against the last one Apicbase accepted
# ----------------------------------------------------------------------------------------------

# The package keys compared besides the article number and the price, in the order a person reads
# them, with the words they are called by.
FIELD_LABELS = {
    "name": "name", "package_description": "content", "orderable": "orderable",
    "order_multiplier": "order multiple", "lead_time": "lead time", "price_type_code": "price type",
    "price_unit": "price unit", "weighted": "variable weight", "brand": "brand",
    "package_type": "package type", "gtin": "GTIN", "description": "description", "shared_id": "shared id",
}
PERCENT_STEP = Decimal("0.1")


@dataclass(frozen=True)
class ArticleRef:
    """An article of a file: its number and its name there."""
    third_party_id: str
    name: str


@dataclass(frozen=True)
class PriceChange:
    third_party_id: str
    name: str
    old: Decimal
    new: Decimal

    @property
    def rise(self):
        return self.new > self.old

    @property
    def ratio_percent(self):
        """The change in percent of the old price, exact; None when the old price was zero."""
        return (self.new - self.old) * 100 / self.old if self.old else None

    @property
    def percent(self):
        """The change in percent, to one decimal (half up), as people read it; None from zero."""
        ratio = self.ratio_percent
        return ratio.quantize(PERCENT_STEP, rounding=ROUND_HALF_UP) if ratio is not None else None


@dataclass(frozen=True)
class FieldChange:
    third_party_id: str
    name: str
    field: str
    old: object
    new: object

    @property
    def label(self):
        return FIELD_LABELS.get(self.field, self.field)


@dataclass(frozen=True)
class FileDiff:
    """What a new file changes against the last one; ``known`` is False when there was none to
    compare with (everything then counts as added)."""
    added: tuple = ()
    removed: tuple = ()
    price_changes: tuple = ()
    field_changes: tuple = ()
    known: bool = True

    @property
    def changed(self):
        return bool(self.added or self.removed or self.price_changes or self.field_changes)

    @property
    def rises(self):
        return tuple(change for change in self.price_changes if change.rise)

    @property
    def falls(self):
        return tuple(change for change in self.price_changes if not change.rise)

    @property
    def largest_rise(self):
        """The largest rise in percent (None when there is none, or one from a zero price only)."""
        percents = [change.percent for change in self.rises if change.percent is not None]
        return max(percents) if percents else None

    @property
    def changed_articles(self):
        """How many articles have another field changed (one article may have several)."""
        return len({change.third_party_id for change in self.field_changes})

    def rises_above(self, threshold):
        """The price rises above ``threshold`` percent (a rise from zero is always one of them);
        none when the threshold is empty or zero (the check is off)."""
        if (threshold or 0) <= 0:
            return ()
        limit = Decimal(str(threshold))
        return tuple(change for change in self.rises
                     if change.ratio_percent is None or change.ratio_percent > limit)

    @property
    def summary(self):
        """One readable line with the counts (English; Odoo renders its own, translated)."""
        if not self.known:
            return f"No earlier file to compare with: {len(self.added)} article(s) in the new file."
        if not self.changed:
            return "No change."
        parts = []
        if self.added:
            parts.append(f"{len(self.added)} article(s) added")
        if self.removed:
            parts.append(f"{len(self.removed)} removed")
        if self.price_changes:
            prices = f"{len(self.price_changes)} price(s) changed ({len(self.rises)} up, {len(self.falls)} down"
            if self.largest_rise is not None:
                prices += f", largest rise +{self.largest_rise} %"
            parts.append(prices + ")")
        if self.field_changes:
            parts.append(f"{len(self.field_changes)} other change(s) on {self.changed_articles} article(s)")
        return ", ".join(parts) + "."


def loads(raw):
    """A file's packages from its bytes (``dumps``), decimals read as ``Decimal``."""
    return json.loads(raw, parse_float=Decimal)


def _by_article(packages):
    # Through the file's own bytes: both sides compare as Apicbase would read them.
    return {package["third_party_id"]: package for package in loads(dumps(list(packages)))}


def _ref(package):
    return ArticleRef(package["third_party_id"], package.get("name") or "")


def _price(package):
    price = package.get("price")
    return Decimal(str(price)) if price is not None else None


def diff_files(old, new):
    """What the file ``new`` changes against ``old`` (lists of package dicts, as built or as read
    back from a kept file; ``old`` None when no file was kept). Articles are matched by article
    number; everything is listed in article-number order."""
    after = _by_article(new)
    if old is None:
        return FileDiff(added=tuple(_ref(after[key]) for key in sorted(after)), known=False)
    before = _by_article(old)
    added = tuple(_ref(after[key]) for key in sorted(after.keys() - before.keys()))
    removed = tuple(_ref(before[key]) for key in sorted(before.keys() - after.keys()))
    prices, fields_changed = [], []
    for key in sorted(before.keys() & after.keys()):
        was, now = before[key], after[key]
        name = now.get("name") or ""
        old_price, new_price = _price(was), _price(now)
        if old_price != new_price and old_price is not None and new_price is not None:
            prices.append(PriceChange(key, name, old_price, new_price))
        for field_name in _compared_fields(was, now):
            if was.get(field_name) != now.get(field_name):
                fields_changed.append(FieldChange(key, name, field_name, was.get(field_name), now.get(field_name)))
    return FileDiff(added=added, removed=removed, price_changes=tuple(prices), field_changes=tuple(fields_changed))


def _compared_fields(was, now):
    """The keys of either package but the price (compared apart): the known ones in FIELD_LABELS'
    order, then any other in alphabetical order. The article number is among them, the same on
    both (they were matched by it)."""
    keys = (was.keys() | now.keys()) - {"price"}
    return [key for key in FIELD_LABELS if key in keys] + sorted(keys - FIELD_LABELS.keys())


def describe_value(field_name, value):
    """A field's value as a person reads it: a content as its label, booleans as yes and no,
    nothing as a dash."""
    if value is None or value == "":
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if field_name == "package_description" and isinstance(value, dict):
        try:
            return content_lib.parse_description(value).label
        except ContentError:
            return json.dumps(value, default=str, sort_keys=True)
    if field_name == "lead_time" and isinstance(value, str) and value.endswith(" 00:00:00"):
        return f"{value.removesuffix(' 00:00:00')} day(s)"
    if field_name == "price_type_code":
        return "per unit" if value == 1 else "per package"
    return str(value)
