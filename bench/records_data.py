"""Realistic import files for the records benchmarks: Chinese enterprises and government records.

    python bench/records_data.py OUT.csv --rows 1000000 --enterprises 100000

Deterministic for a seed. Every USCC carries a valid GB 32100-2015 check digit, every row passes
the import format's rules, and no two rows are the same record.
"""

import argparse
import csv
import random
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

from bluemap_records.record_types import RECORD_TYPES
from bluemap_records.uscc import ALPHABET, check_digit

HEADER = (
    "uscc",
    "enterprise_name",
    "enterprise_name_en",
    "region_code",
    "registered_email",
    "record_type",
    "year",
    "source_title",
    "issuing_authority",
    "issued_on",
    "source_url",
    "summary",
    "external_id",
)
CITIES = (
    ("610100", "西安", "Xi'an", "陕西"),
    ("610400", "咸阳", "Xianyang", "陕西"),
    ("610300", "宝鸡", "Baoji", "陕西"),
    ("320500", "苏州", "Suzhou", "江苏"),
    ("320100", "南京", "Nanjing", "江苏"),
    ("440300", "深圳", "Shenzhen", "广东"),
    ("440100", "广州", "Guangzhou", "广东"),
    ("130100", "石家庄", "Shijiazhuang", "河北"),
    ("130200", "唐山", "Tangshan", "河北"),
    ("370200", "青岛", "Qingdao", "山东"),
    ("370100", "济南", "Jinan", "山东"),
    ("330100", "杭州", "Hangzhou", "浙江"),
    ("330200", "宁波", "Ningbo", "浙江"),
    ("510100", "成都", "Chengdu", "四川"),
    ("420100", "武汉", "Wuhan", "湖北"),
    ("410100", "郑州", "Zhengzhou", "河南"),
    ("120000", "天津", "Tianjin", "天津"),
    ("500000", "重庆", "Chongqing", "重庆"),
)
BRANDS = (
    "永安", "兴庆", "秦川", "渭河", "长安", "汉江", "骊山", "华山", "太白", "终南", "嘉陵", "黄河",
    "东方", "宏达", "恒通", "瑞丰", "鑫源", "金桥", "新华", "鼎盛", "润泽", "天成", "博远", "海川",
    "中联", "万象", "远大", "正泰", "德胜", "宝利", "昌盛", "富华", "广和", "鸿运", "建发", "凯旋",
)  # fmt: skip
INDUSTRIES = (
    ("化工", "Chemical"), ("纺织印染", "Textile Dyeing"), ("电镀", "Electroplating"), ("建材", "Building Materials"),
    ("精密铸造", "Precision Casting"), ("门业", "Door Industry"), ("制药", "Pharmaceutical"), ("造纸", "Paper"),
    ("钢铁", "Steel"), ("水泥", "Cement"), ("食品", "Food"), ("汽车零部件", "Auto Parts"), ("电子", "Electronics"),
    ("塑料制品", "Plastics"), ("有色金属", "Nonferrous Metals"), ("皮革", "Leather"), ("玻璃", "Glass"),
)  # fmt: skip
SUFFIXES = (("有限公司", "Co., Ltd."), ("股份有限公司", "Co., Ltd."), ("集团有限公司", "Group Co., Ltd."))
AUTHORITIES = (
    "中华人民共和国生态环境部",
    "信用中国({province})",
    "{city}市生态环境局",
    "{province}省生态环境厅",
    "{city}市应急管理局",
    "{province}省应急管理厅",
    "{city}市生态环境局{district}分局",
)
DISTRICTS = ("雁塔", "未央", "高新", "经开", "城东", "城西", "新区")
TITLES = (
    "关于对强化监督定点帮扶发现问题进行督办的函({city})",
    "{city}市生态环境局行政处罚决定书({year})第{n}号",
    "责令改正违法行为决定书 {city}环责改字[{year}]{n}号",
    "{city}市企业环境信用评价结果公告({year}年度)",
    "关于{year}年第{q}季度重点排污单位自动监测数据超标情况的通报",
    "{city}市安全生产监督检查记录 {n}",
    "中央生态环境保护督察反馈问题整改情况报告({city})",
    "{city}市重点排污单位名录({year}年)",
    "关于{company}停产限产的通知({year})第{n}号",
)
SUMMARIES = (
    "强化监督定点帮扶发现：喷漆房废气收集处理设施未正常运行。",
    "行政处罚：未按规定运行大气污染防治设施，罚款人民币{amount}万元。",
    "未依法申领排污许可证即排放污染物",
    "未按规定运行大气污染防治设施，喷涂工序废气直排",
    "危险废物贮存场所未设置识别标志，废机油露天堆放",
    "废水总排口化学需氧量超标排放，超标倍数0.{d}倍",
    "环评批复要求的RTO焚烧装置未建成即投入生产",
    "自动监测设备数据弄虚作假，篡改监测数据",
    "未按要求开展自行监测，未公开污染物排放信息；责令限期改正，并处罚款{amount}万元，"
    "同时要求企业在三十日内完成整改并报送整改报告。",
)
CODES = tuple(RECORD_TYPES)


def uscc_of(number: int, region: str) -> str:
    """A distinct, valid USCC for each number: 9 (enterprise) 1 (company), region, organisation code."""
    value = (number * 7919 + 104729) % 31**9  # a bijection on 0..31^9-1, so codes never collide
    organisation = ""
    for _ in range(9):
        value, digit = divmod(value, 31)
        organisation += ALPHABET[digit]
    first17 = "91" + region + organisation
    return first17 + check_digit(first17)


def _date_text(day: date, style: int) -> str:
    if style == 0:
        return day.isoformat()
    if style == 1:
        return f"{day.year}/{day.month}/{day.day}"
    return f"{day.year}年{day.month}月{day.day}日"


def rows(count: int, enterprises: int, seed: int = 20260220) -> Iterator[list[str]]:
    """count records about enterprises enterprises, in the import format's columns."""
    rng = random.Random(seed)
    # Record counts per enterprise vary (1 to 2x the mean), summing to count.
    weights = [rng.random() + 0.5 for _ in range(enterprises)]
    total = sum(weights)
    per = [max(1, int(w / total * count)) for w in weights]
    per[-1] += count - sum(per)
    if per[-1] < 1:
        raise ValueError("more enterprises than rows")
    sequence = 0
    for number, how_many in enumerate(per):
        region, city, city_en, province = CITIES[number % len(CITIES)]
        brand = BRANDS[rng.randrange(len(BRANDS))] + BRANDS[rng.randrange(len(BRANDS))]
        industry, industry_en = INDUSTRIES[rng.randrange(len(INDUSTRIES))]
        suffix, suffix_en = SUFFIXES[rng.randrange(len(SUFFIXES))]
        company = f"{city}{brand}{industry}{suffix}"
        name_en = f"{city_en} {industry_en} {number} {suffix_en}" if number % 3 else ""
        uscc = uscc_of(number, region)
        email = f"ehs{number}@enterprise{number}.example.cn"
        for _ in range(how_many):
            sequence += 1
            year = rng.randrange(2015, 2026)
            day = date(year, 1, 1) + timedelta(days=rng.randrange(365))
            n = rng.randrange(1, 400)
            fill = {
                "city": city,
                "province": province,
                "district": DISTRICTS[n % len(DISTRICTS)],
                "year": year,
                "n": n,
                "q": n % 4 + 1,
                "company": company,
            }
            title = TITLES[rng.randrange(len(TITLES))].format(**fill)
            authority = AUTHORITIES[rng.randrange(len(AUTHORITIES))].format(**fill)
            summary = SUMMARIES[rng.randrange(len(SUMMARIES))].format(amount=n % 50 + 1, d=n % 9 + 1)
            external_id = f"SRC-{year}-{sequence:08d}" if sequence % 5 < 3 else ""
            if not external_id:
                title = f"{title}（{sequence}）"  # keeps records without a source id distinct
            yield [
                uscc,
                company,
                name_en,
                region,
                email,
                CODES[rng.randrange(len(CODES))],
                str(year),
                title,
                authority,
                _date_text(day, sequence % 3),
                f"https://sthjj.example.gov.cn/xxgk/{year}/{n}.html",
                summary,
                external_id,
            ]


def write_csv(path: Path, count: int, enterprises: int, seed: int = 20260220) -> None:
    """The file, UTF-8, with the header."""
    with path.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(HEADER)
        writer.writerows(rows(count, enterprises, seed))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--enterprises", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=20260220)
    args = parser.parse_args()
    write_csv(args.out, args.rows, args.enterprises, args.seed)
    print(f"{args.out}: {args.rows:,} rows, {args.out.stat().st_size:,} bytes", file=sys.stderr)


if __name__ == "__main__":
    main()
