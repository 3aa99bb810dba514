"""Identifiers as real extracts carry them: PRC resident IDs, mobiles, names, addresses.

Also their dirty variants: masked or hashed IDs, phone formats, pinyin spacing and typos,
address abbreviations (``Rd``/``Road``, ``Bldg 5``/``Building 5``, ``Rm 1203``/``1203室``).
Register-sized work (≤ a few hundred thousand values) uses plain Python; nothing here runs
per message row.

Examples
--------
>>> id_check_digit("11010519491231002")
'X'
>>> valid_resident_id("11010519491231002X")
True
>>> format_phone(13800138000, 2)
'+86 138 0013 8000'
"""

from __future__ import annotations

import hashlib

import numpy as np

__all__ = ["id_check_digit", "valid_resident_id", "resident_ids", "mask_id", "hash_id",
           "mobiles", "format_phone", "PHONE_STYLES", "names", "name_variant", "Addr",
           "addresses", "address_text", "enterprise_name_variant", "s10_ids"]

_W = np.array([7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2])
_CHECK = "10X98765432"
REGIONS = [110105, 110108, 310104, 310115, 330106, 330782, 440305, 440106, 320102, 510107,
           420106, 350203, 370202, 410105, 500103, 610113]


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a 17-digit PRC resident ID body."""
    return _CHECK[sum(int(c) * w for c, w in zip(first17, _W, strict=True)) % 11]


def valid_resident_id(s: str) -> bool:
    """Whether ``s`` is 18 characters with a correct check character."""
    return len(s) == 18 and s[:17].isdigit() and id_check_digit(s[:17]) == s[17].upper()


def _id_bodies(rng: np.random.Generator, n: int) -> np.ndarray:
    """The first 17 digits (region, birth date 1960-2005, sequence) as int64."""
    region = np.array(REGIONS)[rng.integers(0, len(REGIONS), n)]
    birth = np.datetime64("1960-01-01") + rng.integers(0, 45 * 365, n).astype("timedelta64[D]")
    ymd = np.char.replace(np.datetime_as_string(birth, unit="D"), "-", "").astype(np.int64)
    seq = rng.integers(0, 1000, n)
    return region.astype(np.int64) * 10**11 + ymd * 1000 + seq


def resident_ids(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` distinct resident IDs (region, birth date 1960-2005, sequence, check).

    Distinct within the call: at ~150k people the birthday paradox would otherwise give two
    real people one ID (~24 pairs at 1M declarations), which no real register holds.
    """
    body = _id_bodies(rng, n)
    while True:
        _, first = np.unique(body, return_index=True)
        dup = np.setdiff1d(np.arange(n), first)
        if dup.size == 0:
            break
        body[dup] = _id_bodies(rng, dup.size)
    digits = (body[:, None] // 10 ** np.arange(16, -1, -1)) % 10
    check = np.array(list(_CHECK))[(digits * _W).sum(axis=1) % 11]
    return np.char.add(body.astype(str), check)


def mask_id(s: str) -> str:
    """Mask as platforms do: region and last four kept (``110105********4518``)."""
    return s[:6] + "*" * 8 + s[-4:]


def hash_id(s: str) -> str:
    """Pseudonymise as some platforms do: ``sha256:<hex>``."""
    return "sha256:" + hashlib.sha256(s.encode()).hexdigest()


_MOBILE_PREFIX = np.array([130, 131, 132, 133, 135, 136, 137, 138, 139, 150, 151, 152, 155,
                           156, 158, 159, 166, 176, 177, 180, 181, 182, 186, 187, 188, 189,
                           191, 199])


def mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    """``n`` 11-digit mobile numbers as int64 (start with 1)."""
    pre = _MOBILE_PREFIX[rng.integers(0, len(_MOBILE_PREFIX), n)].astype(np.int64)
    return pre * 10**8 + rng.integers(0, 10**8, n)


PHONE_STYLES = 6


def format_phone(num: int, style: int) -> str:
    """Write an 11-digit mobile in one of the common styles (0 plain ... 5 E.164)."""
    s = f"{num:011d}"
    return (s, f"{s[:3]}-{s[3:7]}-{s[7:]}", f"+86 {s[:3]} {s[3:7]} {s[7:]}", f"(+86){s}",
            f"{s[:3]} {s[3:7]} {s[7:]}", f"+86{s}")[style]


_SURNAMES = ["Wang", "Li", "Zhang", "Liu", "Chen", "Yang", "Huang", "Zhao", "Wu", "Zhou",
             "Xu", "Sun", "Ma", "Zhu", "Hu", "Guo", "He", "Lin", "Gao", "Luo", "Zheng",
             "Liang", "Xie", "Song", "Tang", "Han", "Feng", "Deng", "Cao", "Peng"]
_SURNAME_P = np.linspace(3.0, 0.6, len(_SURNAMES))
_SYLL = ["Na", "Wei", "Fang", "Xiu", "Ying", "Jing", "Min", "Jie", "Lei", "Yang", "Yong",
         "Yan", "Juan", "Tao", "Ming", "Chao", "Lan", "Xia", "Ping", "Gang", "Hao", "Zi",
         "Yu", "Xin", "Hui", "Li", "Qiang", "Jun", "Mei", "Ting", "Bo", "Rui", "Kai", "Hong"]


def names(rng: np.random.Generator, n: int) -> list[str]:
    """``n`` romanised Chinese names, surname first (``Li Na``, ``Zhang Zihao``)."""
    sur = rng.choice(len(_SURNAMES), n, p=_SURNAME_P / _SURNAME_P.sum())
    a, b = rng.integers(0, len(_SYLL), n), rng.integers(0, len(_SYLL), n)
    two = rng.random(n) < 0.6
    return [f"{_SURNAMES[s]} {_SYLL[x]}{_SYLL[y].lower() if t else ''}"
            for s, x, y, t in zip(sur, a, b, two, strict=True)]


def name_variant(name: str, kind: int) -> str:
    """A spelling variant of ``name``: 0 upper surname, 1 no space, 2 reversed, 3 typo."""
    sur, _, given = name.partition(" ")
    if kind == 0:
        return f"{sur.upper()} {given}"
    if kind == 1:
        return sur + given.lower()
    if kind == 2:
        return f"{given} {sur}"
    if len(given) > 2:  # swap two adjacent letters of the given name
        return f"{sur} {given[0]}{given[2]}{given[1]}{given[3:]}"
    return f"{sur} {given}{given[-1]}"


_STREETS = ["Jianguo", "Wenyi W", "Zhongshan", "Renmin", "Jiefang", "Nanjing E", "Huaihai M",
            "Chouzhou N", "Binjiang", "Xueyuan", "Heping", "Dongfeng", "Xinhua", "Changjiang",
            "Huangshan", "Tianmu", "Shennan", "Keyuan", "Qingnian", "Yan'an", "Gucui",
            "Jinqiao", "Hongqiao", "Baoshan", "Wuyi", "Fuxing", "Chaoyang", "Haidian"]
_CITIES = [("Beijing", "Beijing", ["Chaoyang", "Haidian", "Dongcheng", "Fengtai"]),
           ("Shanghai", "Shanghai", ["Pudong", "Xuhui", "Jing'an", "Minhang"]),
           ("Zhejiang", "Hangzhou", ["Xihu", "Binjiang", "Gongshu", "Yuhang"]),
           ("Guangdong", "Shenzhen", ["Nanshan", "Futian", "Longgang", "Bao'an"]),
           ("Guangdong", "Guangzhou", ["Tianhe", "Yuexiu", "Haizhu", "Baiyun"]),
           ("Jiangsu", "Nanjing", ["Gulou", "Xuanwu", "Jianye", "Qinhuai"]),
           ("Sichuan", "Chengdu", ["Jinjiang", "Wuhou", "Qingyang", "Chenghua"]),
           ("Hubei", "Wuhan", ["Wuchang", "Hongshan", "Jianghan", "Hanyang"]),
           ("Zhejiang", "Yiwu", ["Choucheng", "Futian", "Jiangdong", "Beiyuan"]),
           ("Fujian", "Xiamen", ["Siming", "Huli", "Jimei", "Haicang"]),
           ("Shandong", "Qingdao", ["Shinan", "Shibei", "Laoshan", "Licang"]),
           ("Guangdong", "Shantou", ["Chenghai", "Longhu", "Jinping", "Haojiang"]),
           ("Zhejiang", "Ningbo", ["Haishu", "Jiangbei", "Beilun", "Yinzhou"]),
           ("Henan", "Zhengzhou", ["Jinshui", "Zhongyuan", "Erqi", "Guancheng"])]
_POST = [100020, 200120, 310012, 518057, 510620, 210008, 610041, 430071, 322000, 361001,
         266071, 515800, 315000, 450000]
_HOME_CITIES = 12  # buyers live in the first twelve cities
_UNIS = ["Zhejiang University", "Fudan University", "Wuhan University", "Sichuan University",
         "Sun Yat-sen University", "Nanjing University"]
KINDS = ["residential", "parcel_locker", "campus", "office", "warehouse", "shop", "unknown"]


class Addr:
    """One real address: its parts, from which every textual variant is written."""

    __slots__ = ("kind", "city_i", "district", "street", "no", "bldg", "room", "extra")

    def __init__(self, kind, city_i, district, street, no, bldg, room, extra):
        self.kind, self.city_i, self.district, self.street = kind, city_i, district, street
        self.no, self.bldg, self.room, self.extra = no, bldg, room, extra

    @property
    def province(self) -> str:
        return _CITIES[self.city_i][0]

    @property
    def city(self) -> str:
        return _CITIES[self.city_i][1]

    @property
    def postcode(self) -> str:
        return str(_POST[self.city_i])


def addresses(rng: np.random.Generator, n: int, kind: str = "residential",
              city_name: str | None = None) -> list[Addr]:
    """``n`` distinct addresses of one premises kind (in ``city_name`` if given)."""
    city = rng.integers(0, _HOME_CITIES, n)
    if city_name is not None:
        city[:] = next(i for i, c in enumerate(_CITIES) if c[1] == city_name)
    dist = rng.integers(0, 4, n)
    street = rng.integers(0, len(_STREETS), n)
    no = rng.integers(1, 400, n)
    bldg = rng.integers(1, 40, n)
    room = rng.integers(1, 33, n) * 100 + rng.integers(1, 12, n)
    extra = rng.integers(1, 60, n)
    return [Addr(kind, int(c), _CITIES[c][2][d], _STREETS[s], int(o), int(b), int(r), int(e))
            for c, d, s, o, b, r, e in zip(city, dist, street, no, bldg, room, extra,
                                           strict=True)]


def address_text(a: Addr, style: int = 0) -> str:
    """Write ``a`` in style 0 (abbreviated), 1 (spelled out) or 2 (Chinese unit markers)."""
    road = "Road" if style == 1 else "Rd"
    tail = (f"{a.no} {a.street} {road}, {a.district} District, {a.city}" if style != 1
            else f"No. {a.no} {a.street} {road}, {a.district}, {a.city}")
    if a.kind == "parcel_locker":
        box = ("Cainiao Locker", "Hive Box")[a.extra % 2]
        return f"{box} {a.bldg}, {tail}"
    if a.kind == "campus":
        uni = _UNIS[a.extra % len(_UNIS)]
        return (f"{uni} Dorm {a.bldg}-{a.room}, {a.city}" if style != 2
                else f"{uni} {a.bldg}号楼{a.room}, {a.city}")
    if a.kind in ("office", "warehouse", "shop"):
        place = {"office": "Tower", "warehouse": "Logistics Park", "shop": "Market"}[a.kind]
        fl = ("Floor", "F", "层")[style]
        return (f"{fl} {a.room // 100}, {a.street} {place}, {tail}" if style != 2
                else f"{a.room // 100}{fl}, {a.street} {place}, {tail}")
    unit = (f"Rm {a.room}, Bldg {a.bldg}", f"Room {a.room}, Building {a.bldg}",
            f"{a.room}室, {a.bldg}栋")[style]
    return f"{unit}, {tail}"


def enterprise_name_variant(name: str) -> str:
    """The same firm as a second source writes it ("Co., Ltd." vs "Company Limited")."""
    if name.endswith("Co., Ltd."):
        return name[: -len("Co., Ltd.")] + "Company Limited"
    return name.upper()


def s10_ids(serials: np.ndarray, prefix: str = "EA", country: str = "CN") -> np.ndarray:
    """UPU S10 item ids (2 letters, 8 digits, check digit, country) from int serials."""
    d = (serials[:, None] // 10 ** np.arange(7, -1, -1)) % 10
    s = (d * np.array([8, 6, 4, 2, 3, 5, 9, 7])).sum(axis=1)
    c = 11 - s % 11
    c = np.where(c == 10, 0, np.where(c == 11, 5, c))
    body = np.char.zfill(serials.astype(str), 8)
    return np.char.add(np.char.add(prefix, np.char.add(body, c.astype(str))), country)
