"""Faults, each a test. Here: the database unreachable mid-session, a worker killed during a save, a tampered
ciphertext on a page, and Redis down. Elsewhere, and referenced rather than repeated:

- two people saving the same Care Action Plan: 409 and nothing lost, in
  ``tests/care_plans/test_care_plan.py::test_two_concurrent_edits_the_second_gets_409_and_nothing_of_the_first_is_lost``
  (and the race at the same moment just below it), and over the API in ``tests/api/test_plans.py``;
- a missing master key or secret in production: the app refuses to start with one line naming it, in
  ``tests/test_config.py::test_production_refuses_to_start_without_each_secret``.
"""
