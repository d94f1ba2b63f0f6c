"""Administrative divisions (GB/T 2260): names of provinces and major cities, and region filters by code prefix."""

import re
from collections.abc import Iterable
from dataclasses import dataclass, field

# Every provincial-level division.
PROVINCES: dict[str, tuple[str, str]] = {
    "11": ("北京市", "Beijing"),
    "12": ("天津市", "Tianjin"),
    "13": ("河北省", "Hebei"),
    "14": ("山西省", "Shanxi"),
    "15": ("内蒙古自治区", "Inner Mongolia"),
    "21": ("辽宁省", "Liaoning"),
    "22": ("吉林省", "Jilin"),
    "23": ("黑龙江省", "Heilongjiang"),
    "31": ("上海市", "Shanghai"),
    "32": ("江苏省", "Jiangsu"),
    "33": ("浙江省", "Zhejiang"),
    "34": ("安徽省", "Anhui"),
    "35": ("福建省", "Fujian"),
    "36": ("江西省", "Jiangxi"),
    "37": ("山东省", "Shandong"),
    "41": ("河南省", "Henan"),
    "42": ("湖北省", "Hubei"),
    "43": ("湖南省", "Hunan"),
    "44": ("广东省", "Guangdong"),
    "45": ("广西壮族自治区", "Guangxi"),
    "46": ("海南省", "Hainan"),
    "50": ("重庆市", "Chongqing"),
    "51": ("四川省", "Sichuan"),
    "52": ("贵州省", "Guizhou"),
    "53": ("云南省", "Yunnan"),
    "54": ("西藏自治区", "Tibet"),
    "61": ("陕西省", "Shaanxi"),
    "62": ("甘肃省", "Gansu"),
    "63": ("青海省", "Qinghai"),
    "64": ("宁夏回族自治区", "Ningxia"),
    "65": ("新疆维吾尔自治区", "Xinjiang"),
    "71": ("台湾省", "Taiwan"),
    "81": ("香港特别行政区", "Hong Kong"),
    "82": ("澳门特别行政区", "Macao"),
}

# Municipalities have no cities: their second level is their own districts and counties.
MUNICIPALITIES = frozenset({"11", "12", "31", "50"})

# Provincial capitals and other cities with many records; a city missing here shows its province and code.
CITIES: dict[str, tuple[str, str]] = {
    "1301": ("石家庄市", "Shijiazhuang"),
    "1302": ("唐山市", "Tangshan"),
    "1304": ("邯郸市", "Handan"),
    "1306": ("保定市", "Baoding"),
    "1309": ("沧州市", "Cangzhou"),
    "1310": ("廊坊市", "Langfang"),
    "1401": ("太原市", "Taiyuan"),
    "1402": ("大同市", "Datong"),
    "1501": ("呼和浩特市", "Hohhot"),
    "1502": ("包头市", "Baotou"),
    "2101": ("沈阳市", "Shenyang"),
    "2102": ("大连市", "Dalian"),
    "2201": ("长春市", "Changchun"),
    "2301": ("哈尔滨市", "Harbin"),
    "3201": ("南京市", "Nanjing"),
    "3202": ("无锡市", "Wuxi"),
    "3203": ("徐州市", "Xuzhou"),
    "3204": ("常州市", "Changzhou"),
    "3205": ("苏州市", "Suzhou"),
    "3206": ("南通市", "Nantong"),
    "3207": ("连云港市", "Lianyungang"),
    "3209": ("盐城市", "Yancheng"),
    "3210": ("扬州市", "Yangzhou"),
    "3211": ("镇江市", "Zhenjiang"),
    "3301": ("杭州市", "Hangzhou"),
    "3302": ("宁波市", "Ningbo"),
    "3303": ("温州市", "Wenzhou"),
    "3304": ("嘉兴市", "Jiaxing"),
    "3305": ("湖州市", "Huzhou"),
    "3306": ("绍兴市", "Shaoxing"),
    "3401": ("合肥市", "Hefei"),
    "3402": ("芜湖市", "Wuhu"),
    "3501": ("福州市", "Fuzhou"),
    "3502": ("厦门市", "Xiamen"),
    "3505": ("泉州市", "Quanzhou"),
    "3601": ("南昌市", "Nanchang"),
    "3701": ("济南市", "Jinan"),
    "3702": ("青岛市", "Qingdao"),
    "3703": ("淄博市", "Zibo"),
    "3706": ("烟台市", "Yantai"),
    "3707": ("潍坊市", "Weifang"),
    "4101": ("郑州市", "Zhengzhou"),
    "4103": ("洛阳市", "Luoyang"),
    "4201": ("武汉市", "Wuhan"),
    "4301": ("长沙市", "Changsha"),
    "4401": ("广州市", "Guangzhou"),
    "4403": ("深圳市", "Shenzhen"),
    "4404": ("珠海市", "Zhuhai"),
    "4406": ("佛山市", "Foshan"),
    "4419": ("东莞市", "Dongguan"),
    "4420": ("中山市", "Zhongshan"),
    "4501": ("南宁市", "Nanning"),
    "4601": ("海口市", "Haikou"),
    "5101": ("成都市", "Chengdu"),
    "5201": ("贵阳市", "Guiyang"),
    "5301": ("昆明市", "Kunming"),
    "5401": ("拉萨市", "Lhasa"),
    "6101": ("西安市", "Xi'an"),
    "6102": ("铜川市", "Tongchuan"),
    "6103": ("宝鸡市", "Baoji"),
    "6104": ("咸阳市", "Xianyang"),
    "6105": ("渭南市", "Weinan"),
    "6106": ("延安市", "Yan'an"),
    "6107": ("汉中市", "Hanzhong"),
    "6108": ("榆林市", "Yulin"),
    "6109": ("安康市", "Ankang"),
    "6110": ("商洛市", "Shangluo"),
    "6201": ("兰州市", "Lanzhou"),
    "6301": ("西宁市", "Xining"),
    "6401": ("银川市", "Yinchuan"),
    "6501": ("乌鲁木齐市", "Ürümqi"),
}

_PREFIX = re.compile(r"^\d{2}(\d{2}){0,2}$")


def region_prefix(value: str | None) -> str | None:
    """The code prefix a region filter means: "61" and "610000" a province, "6101" and "610100" a city.

    None when empty; ValueError when it is not a 2-, 4- or 6-digit code.
    """
    text = (value or "").strip()
    if not text:
        return None
    if not _PREFIX.match(text):
        raise ValueError("a region is a GB/T 2260 code of 2, 4 or 6 digits")
    while len(text) > 2 and text.endswith("00"):
        text = text[:-2]
    return text


def _name(names: tuple[str, str], lang: str) -> str:
    return names[1] if lang == "en" else names[0]


def province_name(code: str, lang: str) -> str | None:
    names = PROVINCES.get(code[:2])
    return _name(names, lang) if names else None


def city_name(code: str, lang: str) -> str | None:
    """A prefecture's name; a municipality's second level is the municipality itself."""
    if code[:2] in MUNICIPALITIES:
        return province_name(code, lang)
    names = CITIES.get(code[:4])
    return _name(names, lang) if names else None


def region_label(code: str | None, lang: str) -> str:
    """A region code as readers know it: 610100 is 陕西省 西安市 (Xi'an, Shaanxi); unknown parts keep the code."""
    if not code:
        return "—"
    province = province_name(code, lang) if len(code) == 6 and code.isdigit() else None
    if province is None:
        return code
    if code[2:] == "0000":
        return province
    city = city_name(code, lang)
    if code[:2] in MUNICIPALITIES or city is None:
        place = province
    else:
        place = f"{city}, {province}" if lang == "en" else f"{province} {city}"
    return place if code[4:] == "00" and city is not None else f"{place} ({code})"


@dataclass
class RegionGroup:
    """A province in the region select, with the cities under it that have enterprises."""

    code: str
    label: str
    cities: list[tuple[str, str]] = field(default_factory=list)


def region_choices(codes: Iterable[str | None], lang: str) -> list[RegionGroup]:
    """Provinces and cities of the given enterprise region codes, as the search form offers them."""
    groups: dict[str, RegionGroup] = {}
    for code in sorted({c for c in codes if c and len(c) == 6 and c.isdigit()}):
        province = province_name(code, lang)
        if province is None:
            continue
        group = groups.setdefault(code[:2], RegionGroup(code=code[:2], label=province))
        if code[:2] in MUNICIPALITIES or code[2:4] == "00":
            continue
        city = city_name(code, lang) or f"{code[:4]}00"
        if all(c != code[:4] for c, _ in group.cities):
            group.cities.append((code[:4], city))
    return list(groups.values())
