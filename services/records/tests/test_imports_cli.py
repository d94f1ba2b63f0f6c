"""`python -m bluemap_records import` on real PostgreSQL: progress, summary, rejected rows, exit codes."""

import csv
import io
import subprocess
import sys
from pathlib import Path

import orjson
import pytest
from records_testing import SAMPLE_CSV, csv_file, csv_row, new_uscc

pytestmark = pytest.mark.integration


def run(records_database: str, data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        "BLUEMAP_RECORDS_DATABASE_URL": records_database,
        "BLUEMAP_RECORDS_DATA_DIR": str(data_dir),
        "BLUEMAP_RECORDS_LOG_LEVEL": "WARNING",
        "PATH": "/usr/bin:/bin",
    }
    return subprocess.run(
        [sys.executable, "-m", "bluemap_records", "import", *args],
        env=env, capture_output=True, text=True, check=False, timeout=300,
    )  # fmt: skip


def test_a_file_imports_with_a_progress_bar_then_changes_nothing(
    records_database: str, tmp_path: Path, tenant: str
) -> None:
    source = tmp_path / "records-sample.csv"
    source.write_bytes(SAMPLE_CSV.read_bytes())
    first = run(records_database, tmp_path, str(source), "--tenant", tenant, "--batch-size", "7")
    assert first.returncode == 0, first.stderr
    summary = orjson.loads(first.stdout)
    assert (summary["status"], summary["created"], summary["rejected"], summary["tenant_id"]) == (
        "completed", 20, 0, tenant,
    )  # fmt: skip
    assert "[####" in first.stderr
    assert "100.0%" in first.stderr
    assert "20 rows" in first.stderr
    again = orjson.loads(run(records_database, tmp_path, str(source), "--tenant", tenant, "--no-progress").stdout)
    assert (again["created"], again["unchanged"]) == (0, 20)


def test_rejected_rows_go_to_a_csv_file_of_their_own(records_database: str, tmp_path: Path, tenant: str) -> None:
    source = tmp_path / "mixed.csv"
    source.write_bytes(csv_file(csv_row(uscc=new_uscc()), csv_row(uscc="91610100992777567A", external_id="B")))
    errors = tmp_path / "errors.csv"
    result = run(records_database, tmp_path, str(source), "--tenant", tenant, "--errors-csv", str(errors))
    assert result.returncode == 0, result.stderr
    summary = orjson.loads(result.stdout)
    assert (summary["created"], summary["rejected"]) == (1, 1)
    assert summary["errors"] == [{"line": 3, "column": "uscc", "reason": "USCC check digit is A, expected D"}]
    rows = list(csv.reader(io.StringIO(errors.read_text(encoding="utf-8-sig"))))
    assert [row[:2] for row in rows] == [["error_line", "error_column"], ["3", "uscc"]]


def test_a_file_that_cannot_be_imported_exits_2_and_says_why(
    records_database: str, tmp_path: Path, tenant: str
) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_bytes(b"")
    result = run(records_database, tmp_path, str(empty), "--tenant", tenant)
    assert result.returncode == 2
    assert "The file is empty." in result.stderr
    missing = run(records_database, tmp_path, str(tmp_path / "nope.csv"), "--tenant", tenant)
    assert missing.returncode == 2
    wrong = tmp_path / "gbk.csv"
    wrong.write_bytes(SAMPLE_CSV.read_bytes().decode().encode("gbk"))
    refused = run(records_database, tmp_path, str(wrong), "--tenant", tenant, "--encoding", "utf-8")
    assert refused.returncode == 2
    assert "not utf-8" in refused.stderr
