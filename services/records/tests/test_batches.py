"""How an import file is cut into batches, and what a batch says of each enterprise (pure)."""

import io

from records_testing import csv_file, csv_row

from bluemap_records.imports.parsing import ImportFile
from bluemap_records.imports.service import BatchReader, _merge_enterprises


def batches(data: bytes, size: int) -> list[tuple[list[int], list[int]]]:
    """(lines of the valid rows, lines of the rejected rows) of each batch."""
    found = []
    with ImportFile(io.BytesIO(data), size=len(data), filename="x.csv") as source:
        reader = BatchReader(source, size)
        while (batch := reader.next_batch()) is not None:
            found.append(([r.line for r in batch.valid], [r.line for r, _ in batch.rejected]))
    return found


def test_batches_hold_at_most_size_rows_valid_and_rejected_alike() -> None:
    rows = [csv_row(external_id=f"B-{i}") for i in range(5)]
    rows.insert(2, csv_row(uscc="bad"))
    assert batches(csv_file(*rows), 2) == [([2, 3], []), ([5], [4]), ([6, 7], [])]


def test_a_record_seen_again_starts_a_new_batch_so_that_it_meets_the_first() -> None:
    same = csv_row(external_id="SAME")
    data = csv_file(csv_row(external_id="A"), same, csv_row(external_id="B"), same, csv_row(external_id="C"))
    assert batches(data, 100) == [([2, 3, 4], []), ([5, 6], [])]


def test_a_batch_says_the_last_name_and_every_address_of_an_enterprise() -> None:
    data = csv_file(
        csv_row(external_id="1", registered_email="a@ent.example.cn", region_code="610100"),
        csv_row(external_id="2", registered_email="b@ent.example.cn", region_code="", enterprise_name="新名字"),
        csv_row(external_id="3", registered_email="a@ent.example.cn", enterprise_name_en=""),
    )
    with ImportFile(io.BytesIO(data), size=len(data), filename="x.csv") as source:
        batch = BatchReader(source, 10).next_batch()
    assert batch is not None
    [(uscc, said)] = _merge_enterprises(batch.valid).items()
    assert uscc == "91610100992777567D"
    assert (said.name, said.region_code, said.emails) == (
        "陕西永安兴庆门业有限公司",
        "610100",
        ["a@ent.example.cn", "b@ent.example.cn"],
    )
    assert said.name_en == "Shaanxi Yong'an Xingqing Door Industry Co., Ltd."
