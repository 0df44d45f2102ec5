"""The signals between domains (diversion/signals.py) call their receivers in the order they were connected."""

from __future__ import annotations

import pytest

from diversion.signals import OrderedSignal


def test_receivers_run_in_the_order_they_were_connected() -> None:
    signal = OrderedSignal("test")
    calls: list[tuple[int, str, object]] = []

    def receiver_number(number: int):
        def receiver(sender, **kw) -> None:
            calls.append((number, sender, kw.get("actor")))

        return receiver

    receivers = [receiver_number(n) for n in range(12)]
    for receiver in receivers:
        signal.connect(receiver, weak=False)
    signal.connect(receivers[3], weak=False)  # connecting again neither repeats it nor moves it
    signal.send("case", actor="worker")
    assert calls == [(n, "case", "worker") for n in range(12)]
    signal.disconnect(receivers[5])
    calls.clear()
    signal.send("case")
    assert [n for n, _, _ in calls] == [n for n in range(12) if n != 5]


def test_a_receiver_that_raises_stops_the_sender() -> None:
    signal = OrderedSignal("test")
    calls: list[str] = []

    def broken(sender, **kw):
        raise RuntimeError("store unavailable")

    signal.connect(broken, weak=False)
    signal.connect(lambda sender, **kw: calls.append(sender), weak=False)
    with pytest.raises(RuntimeError):
        signal.send("case")
    assert calls == []
