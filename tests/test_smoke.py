from tests.harness import User


async def test_pin_check_in_and_out(event):
    ada = User(501, "Ada", "ada_l")
    assert "Hello, Ada Lovelace" in await event.reply_text(ada, "/start")
    assert "Checked in to S1" in await event.reply_text(ada, "key1in")
    assert "already checked in" in await event.reply_text(ada, "KEY1IN")
    assert "Checked out of S1" in await event.reply_text(ada, "KEY1OUT")
    assert await event.log() == [("REG-1", "S1", "IN", "pin", 1, "ok"), ("REG-1", "S1", "OUT", "pin", 1, "ok")]
    text = await event.reply_text(ada, "/myattendance")
    assert text.index("out") < text.index("in ")
