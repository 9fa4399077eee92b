"""Webhook mode: the secret token is checked, and an update is stored before 200."""

import asyncio
import json

import httpx

from bot.web.server import serve
from tests.harness import BotHarness, User, free_port

SECRET = "s3cret-token-for-tests_0123456789"


async def test_webhook_refuses_wrong_secret_and_stores_before_answering(tmp_path):
    port = free_port()
    h = await BotHarness(
        tmp_path,
        WEBHOOK_URL="https://bot.example.org/tg-hook",
        WEBHOOK_SECRET=SECRET,
        WEBHOOK_LISTEN="127.0.0.1",
        WEBHOOK_PORT=str(port),
    ).start()
    stop = asyncio.Event()
    server = asyncio.create_task(serve(h.app, h.processor, h.settings, stop))
    try:
        await asyncio.sleep(0.2)
        url = f"http://127.0.0.1:{port}/tg-hook"
        update = h._message(
            User(501, "Ada", "ada_l"), text="/start", entities=[{"type": "bot_command", "offset": 0, "length": 6}]
        )
        async with httpx.AsyncClient() as client:
            wrong = await client.post(
                url, content=json.dumps(update), headers={"X-Telegram-Bot-Api-Secret-Token": "wrong"}
            )
            missing = await client.post(url, content=json.dumps(update))
            garbage = await client.post(url, content=b"{not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET})
            assert (wrong.status_code, missing.status_code, garbage.status_code) == (403, 403, 400)
            assert await h.rows("SELECT COUNT(*) FROM updates") == [(0,)]
            right = await client.post(
                url, content=json.dumps(update), headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            )
            assert right.status_code == 200
        # Stored by the time Telegram got its 200.
        assert await h.rows("SELECT update_id FROM updates") == [(update["update_id"],)]
        await h.processor.drain()
        assert "Hello" in h.api.sent("sendMessage")[-1].text
        set_webhook = h.api.sent("setWebhook")[-1].params
        assert set_webhook["url"] == "https://bot.example.org/tg-hook" and set_webhook["secret_token"] == SECRET
    finally:
        stop.set()
        await server
        await h.stop()
