"""The funder return's indicator names and definitions (``indicators.toml``), listed for the Welsh catalogue.

The data file stays in English: the API, the exports and the snapshots give its words as they are. A page shows an
indicator through ``returns.shown_indicator``, which looks each one up in the catalogue; ``N_`` here only marks the
words for extraction. ``tests/outcomes/test_welsh.py`` checks that every name and definition in the file is here.
"""

from __future__ import annotations

from diversion.reports.services import N_

INDICATOR_WORDS = (
    N_("Referrals received"),
    N_("Cases referred to the scheme in the quarter, by referral date."),
    N_("Women referred"),
    N_("Women referred in the quarter, each counted once however many referrals she had."),
    N_("Opt-in rate"),
    N_("Cases that opted in during the quarter over those that opted in or declined."),
    N_("Diversions completed"),
    N_("Cases that completed the programme in the quarter (by outcome date): the payment-by-results figure."),
    N_("Diversions not completed"),
    N_("Cases whose return date passed in the quarter without completing."),
    N_("Withdrawals"),
    N_("Cases withdrawn from the scheme in the quarter."),
    N_("Diversions finished"),
    N_("Cases completed, not completed or withdrawn in the quarter."),
    N_("Completion rate"),
    N_("Completed over finished cases in the quarter; the reference is the 89% of the scheme this one is modelled on."),
    N_("Non-attendance rate"),
    N_("Appointments in the quarter recorded as did not attend, over appointments with an outcome."),
    N_("Median days from referral to completion"),
    N_("The median number of calendar days from referral to completion, over cases completed in the quarter."),
    N_("Onward referrals made, by service"),
    N_("Onward referrals in Care Action Plans agreed in the quarter that were made (made, accepted or attended)."),
    N_("Onward referrals taken up, by service"),
    N_("Onward referrals in Care Action Plans agreed in the quarter that the service accepted or she attended."),
    N_("Women with a safeguarding flag raised"),
    N_("Women whose needs assessment in the quarter found signs of exploitation or trafficking."),
    N_("Modern slavery: NRM referrals made"),
    N_(
        "Cases with signs of exploitation (needs assessment recorded in the quarter) referred to the National "
        "Referral Mechanism."
    ),
    N_("Modern slavery: Duty to Notify made"),
    N_(
        "Cases with signs of exploitation (needs assessment recorded in the quarter) for which a first "
        "responder organisation made a Duty to Notify."
    ),
    N_("Modern slavery: NRM referral declined"),
    N_("Cases with signs of exploitation (needs assessment recorded in the quarter) where she declined a referral."),
    N_("Modern slavery: NRM referral not applicable"),
    N_(
        "Cases with signs of exploitation (needs assessment recorded in the quarter) where a referral was "
        "recorded as not applicable."
    ),
    N_("Modern slavery: NRM referral still to consider"),
    N_("Cases with signs of exploitation (needs assessment recorded in the quarter) with no outcome recorded yet."),
    N_("Modern slavery: cases with signs of exploitation"),
    N_(
        "Cases whose needs assessment, recorded in the quarter, records signs of exploitation or trafficking: "
        "the five lines above add up to it."
    ),
    N_("Distance travelled: mean change in wellbeing, by needs domain"),
    N_(
        "Mean change in the wellbeing score (1 to 10) between the needs assessment and the latest review in "
        "the quarter, over the cases reviewed."
    ),
    N_("Equality monitoring: women by age band"),
    N_("Women referred in the quarter who consented to equality monitoring, by age band at the end of the quarter."),
    N_("Equality monitoring: women by ethnic group"),
    N_("Women referred in the quarter who consented to equality monitoring, by ethnic group as she described it."),
)
