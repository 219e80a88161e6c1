"""Settings from the environment; production refuses to start without what it needs."""

import os
import subprocess
import sys

import pytest

from config import ConfigError, load_config
from wsgi import ROOT


def test_production_without_secrets_names_what_is_missing():
    with pytest.raises(ConfigError) as error:
        load_config({"APP_ENV": "production", "REDIS_URL": "redis://cache:6379/0"})
    assert str(error.value) == (
        "APP_ENV=production needs SECRET_KEY, DATABASE_URL: set them in the environment"
    )


def test_production_with_everything_loads_and_hardens_cookies():
    values = load_config(
        {
            "APP_ENV": "production",
            "SECRET_KEY": "s" * 40,
            "DATABASE_URL": "postgresql://db/shop",
            "REDIS_URL": "redis://r:6379/0",
        }
    )
    assert values["SESSION_COOKIE_SECURE"] is True
    assert values["SESSION_COOKIE_HTTPONLY"] is True
    assert values["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_bad_values_are_named():
    with pytest.raises(ConfigError, match="DATABASE_POOL_SIZE must be an integer"):
        load_config({"DATABASE_POOL_SIZE": "many"})
    with pytest.raises(ConfigError, match="APP_ENV must be one of"):
        load_config({"APP_ENV": "staging-ish"})


def test_gunicorn_entry_point_exits_with_the_named_error_in_production():
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SECRET_KEY")}
    env.update({"APP_ENV": "production", "REDIS_URL": "redis://127.0.0.1:6399/0"})
    result = subprocess.run(
        [sys.executable, "-c", "import wsgi; wsgi.create_app()"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode != 0
    assert "APP_ENV=production needs SECRET_KEY, DATABASE_URL" in result.stderr


def test_a_process_can_mount_only_the_api():
    env = dict(
        os.environ,
        APP_FACES="api",
        DATABASE_URL="postgresql://nobody@127.0.0.1:1/none",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    script = "import wsgi; print(sorted({r.rule for r in wsgi.create_app().url_map.iter_rules()}))"
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert "/api/v1/health" in result.stdout
    assert "/admin/" not in result.stdout and "/dashboards/" not in result.stdout
