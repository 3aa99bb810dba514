"""Generator parameters and the world's fixed reference data (countries, ports, channels).

Magnitudes follow domain.md §6: exports outnumber imports (H1 2024: 979.9 bn vs 266.4 bn
RMB), export destinations US 34.2 %, UK 8.1 %, DE 6.2 %, FR 4.5 %.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date

__all__ = [
    "GenConfig", "COUNTRIES", "EXPORT_SHARES", "IMPORT_SHARES", "POD", "CHANNELS",
    "TRADE_MODES", "TRAF_MODES", "TYPOLOGIES", "LOOKALIKES", "LINK_HOSTS", "NOTES", "DISTRICTS",
    "VERSION",
]

VERSION = "0.1.0"

# Countries used on either side; shares are re-normalised over this list.
COUNTRIES = ["US", "GB", "DE", "FR", "ES", "IT", "NL", "PL", "CA", "MX", "BR", "AU", "JP",
             "KR", "SA", "AE", "RU", "NZ", "HK", "TH", "MY", "SG", "IL", "CL"]
EXPORT_SHARES = {"US": 34.2, "GB": 8.1, "DE": 6.2, "FR": 4.5, "ES": 3.5, "IT": 3.0, "NL": 2.5,
                 "PL": 2.5, "CA": 3.0, "MX": 3.5, "BR": 4.0, "AU": 3.0, "JP": 3.0, "KR": 3.5,
                 "SA": 2.5, "AE": 2.0, "RU": 3.5, "NZ": 0.8, "HK": 1.0, "TH": 2.5, "MY": 2.2,
                 "SG": 1.5, "IL": 1.5, "CL": 2.0}
IMPORT_SHARES = {"JP": 22.0, "US": 15.0, "KR": 14.0, "AU": 10.0, "DE": 7.0, "FR": 7.0,
                 "NZ": 5.0, "HK": 8.0, "GB": 4.0, "IT": 4.0, "NL": 4.0}
POD = {"US": ["USLAX", "USJFK", "USORD"], "GB": ["GBLHR"], "DE": ["DEFRA"], "FR": ["FRCDG"],
       "ES": ["ESMAD"], "IT": ["ITMIL"], "NL": ["NLAMS"], "PL": ["PLWAW"], "CA": ["CAYVR"],
       "MX": ["MXMEX"], "BR": ["BRSAO"], "AU": ["AUSYD"], "JP": ["JPTYO"], "KR": ["KRSEL"],
       "SA": ["SARUH"], "AE": ["AEDXB"], "RU": ["RUMOW"], "NZ": ["NZAKL"], "HK": ["HKHKG"],
       "TH": ["THBKK"], "MY": ["MYKUL"], "SG": ["SGSIN"], "IL": ["ILTLV"], "CL": ["CLSCL"]}

CHANNELS = ["cbec", "express", "postal"]
TRADE_MODES = ["9610", "1210", "1239", "9710", "9810"]
TRAF_MODES = ["air", "road", "sea", "rail", "post"]
TYPOLOGIES = ["", "T1", "T2", "T3", "T4", "T5", "T6", "T7", "T8", "T9", "T10"]
LOOKALIKES = ["", "parcel_locker", "campus", "family", "office", "promotion_day",
              "legit_popmart", "unbranded_toy_exporter", "cohabitant_split", "flash_sale",
              "pickup_station", "small_shop", "multi_warehouse", "new_buyer_burst",
              "gift_payer"]
# Item page hosts in raw payment records: index 0 means the platform's own item page
# (``https://item.<platform prefix>.example.com/``); the others are shops outside any
# connected platform (micro-shops, chat-app stores), where T10 order pushing sells.
LINK_HOSTS = ["", "https://weidian.example.cn/item.html?itemID=",
              "https://h5.youzan.example.cn/v2/goods/", "https://mp.weixin.example.cn/s/shop-",
              "https://m.xiaohongshu.example.cn/goods/"]
NOTES = ["", "618 promotion -30%", "11.11 promotion -40%", "flash sale -50%",
         "member discount", "gift wrap", "coupon applied"]

# Customs districts: (customs office, port, province, city) — 4-digit codes.
DISTRICTS = [("2901", "2991", "Zhejiang", "Hangzhou"), ("3101", "3191", "Zhejiang", "Ningbo"),
             ("2244", "2233", "Shanghai", "Shanghai"), ("5141", "5130", "Guangdong", "Guangzhou"),
             ("5349", "5301", "Guangdong", "Shenzhen"), ("0102", "0101", "Beijing", "Beijing"),
             ("4258", "4218", "Shandong", "Qingdao"), ("4612", "4601", "Henan", "Zhengzhou"),
             ("3701", "3702", "Fujian", "Xiamen"), ("7908", "7901", "Sichuan", "Chengdu"),
             ("2918", "2992", "Zhejiang", "Yiwu"), ("5160", "5161", "Guangdong", "Shantou")]


@dataclass(frozen=True)
class GenConfig:
    """Parameters of one generated world.

    Parameters
    ----------
    declarations : int
        Number of declarations (inventory lists) in the whole world, benign and fraud.
    seed : int
        Seed of the ``numpy.random.Generator``; the same seed gives byte-identical files.
    months : int
        Months covered, at least 6.
    start : date
        First day of the first month.
    dirty_share : float
        Share of message rows that get a planted malformed value.
    dup_phone_share : float
        Share of a person's *duplicate* records (second and third person_refs) written with
        another mobile than the first record: a second number of the same person, used
        consistently in that record's messages; for 40 % of them the persons register row
        has no telephone at all. Drawn from its own random stream, so the rest of a seed's
        world does not depend on it.
    fmt : str
        Output format: parquet, csv or jsonl.
    """

    declarations: int = 100_000
    seed: int = 7
    months: int = 6
    start: date = date(2025, 4, 1)
    dirty_share: float = 0.002
    dup_phone_share: float = 0.25
    fmt: str = "parquet"

    def __post_init__(self) -> None:
        if self.declarations < 500:
            raise ValueError(f"--declarations {self.declarations}: need at least 500 so that "
                             "every typology fits; ask for more")
        if self.months < 6:
            raise ValueError(f"--months {self.months}: the world must span at least 6 months")
        if self.start.day != 1:
            raise ValueError(f"--start {self.start}: give the first day of a month")
        if not 0 <= self.dirty_share < 0.2:
            raise ValueError(f"--dirty-share {self.dirty_share}: use a share in [0, 0.2)")
        if not 0 <= self.dup_phone_share <= 1:
            raise ValueError(f"--dup-phone-share {self.dup_phone_share}: use a share in [0, 1]")
        if self.fmt not in ("parquet", "csv", "jsonl"):
            raise ValueError(f"--format {self.fmt}: use parquet, csv or jsonl")

    @property
    def scale(self) -> float:
        """World size relative to 100k declarations (the size domain.md's ring sizes refer to)."""
        return self.declarations / 100_000

    def to_dict(self) -> dict:
        d = asdict(self)
        d["start"] = self.start.isoformat()
        return d

    def month_starts(self) -> list[date]:
        """First day of every month covered, plus the day after the last month."""
        out, y, m = [], self.start.year, self.start.month
        for _ in range(self.months + 1):
            out.append(date(y, m, 1))
            y, m = (y + 1, 1) if m == 12 else (y, m + 1)
        return out
