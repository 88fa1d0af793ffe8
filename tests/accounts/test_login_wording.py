from updatesrv.accounts.login import human_wait


def test_waiting_time_is_plural_only_when_it_should_be():
    assert human_wait(1) == "1 second"
    assert human_wait(2) == "2 seconds"
    assert human_wait(89) == "89 seconds"
    assert human_wait(600) == "10 minutes"
