from updatesrv.accounts.login import _human


def test_waiting_time_is_plural_only_when_it_should_be():
    assert _human(1) == "1 second"
    assert _human(2) == "2 seconds"
    assert _human(89) == "89 seconds"
    assert _human(600) == "10 minutes"
