"""Digital delivery: store files, grant downloads per purchase, signed links, license keys.

A download link carries only a signed, time-limited grant id (itsdangerous, keyed by SECRET_KEY);
the grant itself holds the purchase's limit and expiry, and each download is counted by one
conditional UPDATE, so two clicks at once can never exceed the limit.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert

from commerce import audit, db, events
from commerce.audit import Actor
from commerce.catalog.digital import DigitalFile, DownloadGrant, LicenseKey, LicensePool
from commerce.catalog.models import Variant
from commerce.db import utcnow
from commerce.errors import Conflict, DomainError, InvalidInput, NotFound
from commerce.orders.models import OrderLine

LINK_SALT = "digital-download"
DEFAULT_LINK_TTL = 15 * 60
MAX_KEY_LENGTH = 255


class DownloadUnavailable(DomainError):
    """The link or grant can no longer be used (expired, used up, or forged)."""

    code = "download_unavailable"
    status = 410


class OutOfLicenseKeys(Conflict):
    code = "out_of_license_keys"


def storage_root() -> Path:
    """Private storage for digital files (PRIVATE_STORAGE_DIR, default instance/private)."""
    configured = current_app.config.get("PRIVATE_STORAGE_DIR")
    return Path(configured) if configured else Path(current_app.instance_path) / "private"


def _digital_variant(variant_id: int) -> Variant:
    variant = db.session.get(Variant, variant_id)
    if variant is None:
        raise NotFound(f"Variant {variant_id} does not exist.")
    if not variant.is_digital:
        raise InvalidInput(
            f"variant_id: {variant.sku} is not a digital variant",
            fields={"variant_id": "not digital"},
        )
    return variant


def add_digital_file(
    variant_id: int,
    *,
    filename: str,
    content: bytes,
    actor: Actor,
    download_limit: int | None = 5,
    expires_after_days: int | None = 30,
) -> DigitalFile:
    """Store a file for a digital variant. Raises NotFound, InvalidInput (not digital, empty file,
    bad limits)."""
    variant = _digital_variant(variant_id)
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", Path(filename or "").name).strip("._")
    if not safe:
        raise InvalidInput("filename: is required", fields={"filename": "is required"})
    if not content:
        raise InvalidInput("file: is empty", fields={"file": "is empty"})
    for field, value in (
        ("download_limit", download_limit),
        ("expires_after_days", expires_after_days),
    ):
        if value is not None and value < 1:
            raise InvalidInput(
                f"{field}: must be at least 1 (or empty for no limit)",
                fields={field: "must be at least 1"},
            )
    relative = Path("digital") / str(variant.id) / f"{uuid.uuid4().hex}-{safe}"
    target = storage_root() / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(content)
    file = DigitalFile(
        variant_id=variant.id,
        filename=safe,
        storage_path=str(relative),
        size_bytes=len(content),
        sha256=hashlib.sha256(content).hexdigest(),
        download_limit=download_limit,
        expires_after_days=expires_after_days,
    )
    db.session.add(file)
    db.session.flush()
    audit.record(
        actor,
        "digital_file.create",
        "variant",
        variant.id,
        {
            "file": [None, safe],
            "download_limit": [None, download_limit],
            "expires_after_days": [None, expires_after_days],
        },
    )
    db.session.commit()
    return file


def grant_downloads(order_line_id: int, *, now: dt.datetime | None = None) -> list[DownloadGrant]:
    """Give an order line's buyer a grant for every file of its variant (once; running again
    returns the same grants). Raises NotFound."""
    line = db.session.get(OrderLine, order_line_id)
    if line is None:
        raise NotFound(f"Order line {order_line_id} does not exist.")
    now = now or utcnow()
    files = list(
        db.session.scalars(select(DigitalFile).where(DigitalFile.variant_id == line.variant_id))
    )
    for file in files:
        expires = (
            now + dt.timedelta(days=file.expires_after_days) if file.expires_after_days else None
        )
        limit = file.download_limit * line.quantity if file.download_limit else None
        db.session.execute(
            insert(DownloadGrant)
            .values(
                file_id=file.id,
                order_line_id=line.id,
                download_limit=limit,
                expires_at=expires,
            )
            .on_conflict_do_nothing(constraint="uq_download_grants_line_file")
        )
    db.session.commit()
    return list(
        db.session.scalars(
            select(DownloadGrant)
            .where(DownloadGrant.order_line_id == line.id)
            .order_by(DownloadGrant.id)
        )
    )


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=LINK_SALT)


def download_token(grant_id: int) -> str:
    """A signed token naming the grant; it expires DEFAULT_LINK_TTL seconds after it is made."""
    return _serializer().dumps({"g": grant_id})


def redeem_download(
    token: str, *, max_age: int = DEFAULT_LINK_TTL, now: dt.datetime | None = None
) -> tuple[Path, str]:
    """Count one download of the token's grant and return (file path, filename to send).

    Raises DownloadUnavailable when the link is forged or too old, the grant expired, or its
    downloads are used up; nothing is counted then.
    """
    try:
        grant_id = int(_serializer().loads(token, max_age=max_age)["g"])
    except SignatureExpired:
        raise DownloadUnavailable("This download link has expired; ask for a new one.") from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise DownloadUnavailable("This download link is not valid.") from None
    now = now or utcnow()
    counted = db.session.execute(
        update(DownloadGrant)
        .where(
            DownloadGrant.id == grant_id,
            (DownloadGrant.download_limit.is_(None))
            | (DownloadGrant.downloads_used < DownloadGrant.download_limit),
            (DownloadGrant.expires_at.is_(None)) | (DownloadGrant.expires_at > now),
        )
        .values(downloads_used=DownloadGrant.downloads_used + 1, last_download_at=now)
        .returning(DownloadGrant.file_id)
    ).first()
    if counted is None:
        grant = db.session.get(DownloadGrant, grant_id)
        db.session.rollback()
        if grant is not None and grant.expires_at is not None and grant.expires_at <= now:
            raise DownloadUnavailable("This download has expired.")
        raise DownloadUnavailable("This download has been used as often as the purchase allows.")
    file = db.session.get(DigitalFile, counted.file_id)
    db.session.commit()
    return storage_root() / file.storage_path, file.filename


# --- license keys --------------------------------------------------------------------------------


def import_license_keys(
    variant_id: int, keys: Iterable[str], *, actor: Actor, low_threshold: int | None = None
) -> tuple[int, int]:
    """Add keys to a digital variant's pool. Returns (added, skipped as duplicates).

    Raises NotFound, InvalidInput naming the first bad line (empty keys are ignored; a key longer
    than 255 characters is refused) — then nothing is added."""
    variant = _digital_variant(variant_id)
    clean: list[str] = []
    for number, raw in enumerate(keys, start=1):
        key = (raw or "").strip()
        if not key:
            continue
        if len(key) > MAX_KEY_LENGTH:
            raise InvalidInput(
                f"line {number}: a key is at most {MAX_KEY_LENGTH} characters",
                fields={f"line {number}": "too long"},
            )
        clean.append(key)
    unique = list(dict.fromkeys(clean))
    added = 0
    if unique:
        result = db.session.execute(
            insert(LicenseKey)
            .values([{"variant_id": variant.id, "key": k} for k in unique])
            .on_conflict_do_nothing(constraint="uq_license_keys_variant_key")
            .returning(LicenseKey.id)
        )
        added = len(result.all())
    pool = db.session.get(LicensePool, variant.id) or LicensePool(variant_id=variant.id)
    if low_threshold is not None:
        pool.low_threshold = low_threshold
    pool.low_alerted_at = None  # a restocked pool may alert again
    db.session.add(pool)
    audit.record(
        actor,
        "license_keys.import",
        "variant",
        variant.id,
        {"keys_added": [None, added], "duplicates": [None, len(clean) - added]},
    )
    db.session.commit()
    return added, len(clean) - added


def available_keys(variant_id: int) -> int:
    """How many keys of the variant's pool are still available."""
    return (
        db.session.scalar(
            select(func.count())
            .select_from(LicenseKey)
            .where(LicenseKey.variant_id == variant_id, LicenseKey.status == "available")
        )
        or 0
    )


def issue_license_keys(order_line_id: int) -> list[str]:
    """Issue one key per unit of the order line (once: running again returns the same keys).

    Keys are taken with FOR UPDATE SKIP LOCKED, so concurrent orders never share a key. Raises
    NotFound, OutOfLicenseKeys when the pool has too few (then nothing is issued). Records
    `license_pool.low` once when the pool falls to its threshold."""
    line = db.session.get(OrderLine, order_line_id)
    if line is None:
        raise NotFound(f"Order line {order_line_id} does not exist.")
    issued = list(
        db.session.scalars(
            select(LicenseKey.key)
            .where(LicenseKey.order_line_id == line.id)
            .order_by(LicenseKey.id)
        )
    )
    needed = line.quantity - len(issued)
    if needed <= 0:
        return issued
    keys = list(
        db.session.scalars(
            select(LicenseKey)
            .where(LicenseKey.variant_id == line.variant_id, LicenseKey.status == "available")
            .order_by(LicenseKey.id)
            .limit(needed)
            .with_for_update(skip_locked=True)
        )
    )
    if len(keys) < needed:
        db.session.rollback()
        raise OutOfLicenseKeys(
            f"Only {len(keys)} license key(s) left for {line.sku}; {needed} needed.",
            details={"sku": line.sku, "available": len(keys), "requested": needed},
        )
    now = utcnow()
    for key in keys:
        key.status, key.order_line_id, key.issued_at = "issued", line.id, now
    db.session.flush()
    pool = db.session.get(LicensePool, line.variant_id, with_for_update=True)
    left = available_keys(line.variant_id)
    if pool is not None and left <= pool.low_threshold and pool.low_alerted_at is None:
        pool.low_alerted_at = now
        events.record(
            "license_pool.low",
            variant_id=line.variant_id,
            available=left,
            threshold=pool.low_threshold,
        )
    db.session.commit()
    return issued + [k.key for k in keys]
