"""Building Mini App `initData` as Telegram does, for tests (and the demo)."""

from __future__ import annotations

import json
import time
from urllib.parse import urlencode

from bot.web.init_data import sign


def init_data_for(user_id: int, bot_token: str, first_name: str = "Dora", auth_date: int | None = None, **user) -> str:
    fields = {
        "query_id": "AAHdF6IQAAAAAN0XohDhrOrc",
        "user": json.dumps({"id": user_id, "first_name": first_name, **user}, separators=(",", ":")),
        "auth_date": str(int(time.time()) if auth_date is None else auth_date),
    }
    return urlencode({**fields, "hash": sign(fields, bot_token)})
