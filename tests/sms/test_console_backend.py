"""The quick start's console backend prints each message so it stands out from the log."""

from types import SimpleNamespace

from sms.backends.console import ConsoleBackend


def message(body: str, channel: str = "sms"):
    return SimpleNamespace(recipient="+4915112345678", body=body, channel=channel)


def test_a_message_is_printed_in_a_frame_on_standard_error(capsys):
    sid = ConsoleBackend().send(message("Ihr Impfportal-Code: 123456\nGültig 10 Minuten."))
    out, err = capsys.readouterr()
    assert sid.startswith("console-")
    assert out == ""
    block = [line for line in err.splitlines() if line]
    assert block[0].startswith("╔══ SMS to +4915112345678 ")
    assert block[1:-1] == ["║ Ihr Impfportal-Code: 123456", "║ Gültig 10 Minuten."]
    assert block[-1].startswith("╚═")


def test_no_line_of_the_block_looks_like_a_json_log_line(capsys):
    ConsoleBackend().send(message('{"not": "a log line"}', channel="voice"))
    _out, err = capsys.readouterr()
    assert "VOICE CALL to +4915112345678" in err
    assert not any(line.lstrip().startswith("{") for line in err.splitlines())
