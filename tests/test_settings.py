from __future__ import annotations

import os
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from promisekeeper.settings import env_bool, env_int, env_list, env_str


def test_env_str_without_default_names_the_missing_variable(monkeypatch):
    monkeypatch.delenv("PK_SOMETHING", raising=False)
    with pytest.raises(ImproperlyConfigured, match="PK_SOMETHING"):
        env_str("PK_SOMETHING")


def test_env_str_returns_value_or_default(monkeypatch):
    monkeypatch.setenv("PK_SOMETHING", "value")
    assert env_str("PK_SOMETHING") == "value"
    assert env_str("PK_UNSET_VARIABLE", "fallback") == "fallback"


@pytest.mark.parametrize(
    ("raw", "expected"), [("1", True), ("TRUE", True), ("off", False), ("0", False)]
)
def test_env_bool_accepts_usual_spellings(monkeypatch, raw, expected):
    monkeypatch.setenv("PK_FLAG", raw)
    assert env_bool("PK_FLAG") is expected


def test_env_bool_rejects_anything_else_naming_the_variable(monkeypatch):
    monkeypatch.setenv("PK_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="PK_FLAG"):
        env_bool("PK_FLAG")


def test_env_int_rejects_text_naming_the_variable(monkeypatch):
    monkeypatch.setenv("PK_NUMBER", "ten")
    with pytest.raises(ImproperlyConfigured, match="PK_NUMBER"):
        env_int("PK_NUMBER", 1)


def test_env_int_parses_and_defaults(monkeypatch):
    monkeypatch.setenv("PK_NUMBER", "42")
    assert env_int("PK_NUMBER", 1) == 42
    assert env_int("PK_UNSET_NUMBER", 7) == 7


def test_env_list_splits_on_commas_dropping_blanks(monkeypatch):
    monkeypatch.setenv("PK_HOSTS", "a.example, b.example,,")
    assert env_list("PK_HOSTS") == ["a.example", "b.example"]


def _clean_env(**extra: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key
        not in {
            "SECRET_KEY",
            "PROMISEKEEPER_DEV",
            "DEBUG",
            "DATABASE_URL",
            "DJANGO_SETTINGS_MODULE",
            "DJANGO_ALLOW_ASYNC_UNSAFE",  # set for the browser tests only
        }
    }
    env.update(extra)
    return env


def _promisekeeper(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "promisekeeper", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_production_without_secret_key_fails_loudly(tmp_path):
    result = _promisekeeper("check", env=_clean_env(PROMISEKEEPER_DATA_DIR=str(tmp_path)))
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_deploy_check_reports_only_the_documented_warnings(tmp_path):
    env = _clean_env(
        SECRET_KEY="x" * 20 + "-a-long-random-production-secret-key-value-0123456789",
        ALLOWED_HOSTS="promise.example.com",
        PROMISEKEEPER_DATA_DIR=str(tmp_path),
    )
    result = _promisekeeper("check", "--deploy", "--fail-level", "ERROR", env=env)
    assert result.returncode == 0, result.stderr
    reported = {
        line.split(")")[0].split("(")[-1]
        for line in result.stderr.splitlines()
        if "(security." in line
    }
    # SSL redirect is left to the reverse proxy and HSTS preload is opt-in (see README).
    assert reported <= {"security.W008", "security.W021"}


def test_console_script_runs_management_commands(tmp_path):
    env = _clean_env(PROMISEKEEPER_DEV="1", PROMISEKEEPER_DATA_DIR=str(tmp_path))
    result = _promisekeeper("check", env=env)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_demo_command_migrates_seeds_and_prints_accounts(tmp_path):
    env = _clean_env(PROMISEKEEPER_DATA_DIR=str(tmp_path))
    first = _promisekeeper("demo", "--no-serve", env=env)
    assert first.returncode == 0, first.stderr
    assert "promise-demo" in first.stdout
    assert "Created the demo company" in first.stdout
    assert (tmp_path / "promisekeeper.sqlite3").exists()

    second = _promisekeeper("demo", "--no-serve", env=env)
    assert second.returncode == 0, second.stderr
    assert "already holds data" in second.stdout


def test_a_sqlite_database_url_keeps_immediate_transactions_and_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'db.sqlite3'}"
    code = (
        "from django.conf import settings; o = settings.DATABASES['default']['OPTIONS']; "
        "print(o['transaction_mode'], o['timeout'], 'WAL' in o['init_command'])"
    )
    env = _clean_env(
        DATABASE_URL=url, PROMISEKEEPER_DEV="1", DJANGO_SETTINGS_MODULE="promisekeeper.settings"
    )
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.split() == ["IMMEDIATE", "20", "True"], result.stderr
