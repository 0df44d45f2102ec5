"""Signals one domain sends and others listen to, so that the sender need not import its listeners.

A case reaching a final state makes its outcome notice (``diversion.notices``) and stops its reminders
(``diversion.notifications``); an appointment rebooked or given an outcome stops that appointment's reminders. The
referrals and appointments send; the listeners connect themselves when the app is made (``register_hooks`` in each
listening package, called by ``diversion.create_app``).

Receivers run in the order they were connected, inside the sender's transaction: the notice is made before the
notifications look for it, and a receiver that raises undoes the change it was told of (blinker's own signals call
receivers in no set order, so these use an ordered set of receivers).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, MutableSet
from typing import Any

from blinker import Signal


class _OrderedSet(MutableSet[Any]):
    """A set that iterates in the order its members were added (blinker's ``set_class``)."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        self._items = dict.fromkeys(items)

    def __contains__(self, item: object) -> bool:
        return item in self._items

    def __iter__(self) -> Iterator[Any]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def add(self, value: Any) -> None:
        self._items[value] = None

    def discard(self, value: Any) -> None:
        self._items.pop(value, None)

    def copy(self) -> _OrderedSet:
        return _OrderedSet(self._items)


class OrderedSignal(Signal):
    """A blinker signal whose receivers are called in the order they were connected."""

    set_class = _OrderedSet  # type: ignore[assignment]


# Sent with the referral, and ``actor``, once a case has reached a final state, inside the same transaction.
final_state_reached = OrderedSignal("referral.final_state_reached")

# Sent with the appointment, and ``change``, inside the transaction that changes it: "moved" when a rebooking
# supersedes it, "outcome" when its outcome is recorded.
appointment_changed = OrderedSignal("appointment.changed")

# Sent with the referral, ``kind`` and ``key``, and ``actor`` (None for the sweep or the sender of messages), inside
# the transaction that made the event: something happened on the case that her worker, or with none the scheme's
# managers, must hear of at once (docs/alerts.md). ``kind`` is a code of ``diversion.alerts.models.Kind``; ``key``
# names the event itself, so that the same event sent again raises no second alert.
needs_attention = OrderedSignal("referral.needs_attention")
