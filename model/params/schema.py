"""The parameter schema: every knob of the model, with its unit, default, range and meaning.

Each TOML table of a parameter file is one pydantic model below; each key is one field. A field's
``description`` is its one-line meaning and ``json_schema_extra["unit"]`` its unit, so that
``python -m model params`` and ``docs/ODD.md`` print from this one place.

Money is in dollars; amounts that scale with the market are per *potential* user (``users.count``),
so that a run with 5,000 users and one with a million tell the same story.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator


# Every knob has a finite range. Those of money, utility and time are far wider than any real use,
# and narrow enough that a run at any of them keeps every amount a finite number (a run at each is
# tested in tests/test_params.py): 1e306 dollars per user pass a "> 0" check and overflow the ledger.
MAX_UTILITY = 100  # utility, in logit units (as network.effect): a difference of 10 is already e^15 to 1 odds
MAX_QUALITY = 1000  # quality units (the baseline's quality_max is 5)
MAX_PER_USER_MONTH = 10_000  # $ per user-month, or per new user: prices, costs, spending, ad budgets, margins
MAX_PER_POTENTIAL_USER = 1_000_000  # $ per potential user: capital, funding, rescue caps
MIN_AD_PRICE, MAX_AD_PRICE = 0.1, 1000  # $ per 1000 impressions; ad values share the upper bound. Their ratio
# keeps advertisers' weights (value / price) ** advertisers.return_sensitivity finite, squared too
MAX_MONTHS = 6000  # months, as simulation.steps
MAX_YEARS = 1000  # valuation multiples, in years of profit or revenue
MAX_SENTIMENT = 100  # the funding market's sentiment multiplies valuations (the baseline's ranges from 0.2 to 3)


def knob(default, unit: str, meaning: str, **bounds):
    """A documented parameter: default, unit, one-line meaning and bounds (ge, gt, le, lt)."""
    return Field(default, description=meaning, json_schema_extra={"unit": unit}, **bounds)


class Table(BaseModel):
    """A TOML table: unknown keys are errors, values are checked on assignment too."""

    # strict: a string "3" or true where a number is expected is an error, not a silent conversion
    # allow_inf_nan=False: TOML can spell inf and nan, and an unbounded knob would let them through
    model_config = ConfigDict(extra="forbid", validate_assignment=True, strict=True, allow_inf_nan=False)


class Simulation(Table):
    steps: int = knob(240, "months", "Number of monthly steps to simulate.", ge=1, le=6000)
    seed: int = knob(42, "-", "Seed of the model's random generator (same seed, same run).", ge=0)
    measured_users: int = knob(
        20_000, "users", "Users whose surplus and lock-in are measured each month: all of them in a population up to "
        "this size, else a fixed random panel of this many (a platform with fewer than 1,000 in the panel is "
        "measured over all its users). Statistics only: the run itself is the same.", ge=1000, le=50_000_000)


class Users(Table):
    count: int = knob(10_000, "users", "Potential users in the market (the population size).", ge=1, le=50_000_000)
    rationality: float = knob(1.5, "1/utility", "Logit scale beta: how strongly choices follow utility.", gt=0, le=100)
    review_rate: float = knob(0.1, "1/month", "Probability that an adopted user reconsiders its platform in a month.", gt=0, le=1)
    turnover: float = knob(
        0.0, "1/month", "Share of adopted users replaced each month by newcomers of the same tastes, who choose afresh (generational turnover).", ge=0, le=1
    )
    # the bounds belong to the number, not to "none"
    outside_utility: Annotated[float, Field(ge=-MAX_UTILITY, le=MAX_UTILITY)] | Literal["none"] = knob(
        2.0, "utility", 'Utility of using no platform (life without it: other media, phone, forums); "none" removes the outside option.'
    )
    adoption_innovation: float = knob(0.0025, "1/month", "Bass innovation coefficient p: chance a month that a potential user looks at the market unprompted.", ge=0, le=1)
    adoption_imitation: float = knob(0.0109, "1/month", "Bass imitation coefficient q: chance a month of looking, per share of the potential users reached that is on a platform (word of mouth).", ge=0, le=1)
    reach_start: float = knob(
        1.0, "-", "Share of potential users the market reaches at the start (the cities served, the people with a smartphone): only they can adopt (1: all of them, from the start).", gt=0, le=1
    )
    reach_growth: float = knob(
        0.0, "1/year", "Yearly growth of the log-odds of the market's reach, as it opens new cities or more people get the devices it needs (0: the reach stays where it starts).", ge=0, le=10
    )
    quality_taste_mean: float = knob(
        1.0, "utility/quality", "Mean taste for quality theta (lognormal across users).", ge=0, le=MAX_UTILITY
    )
    quality_taste_cv: float = knob(
        0.3, "-", "Coefficient of variation of the taste for quality (0 = identical users).", ge=0, le=5
    )
    ad_aversion_mean: float = knob(
        3.0, "utility/ad load", "Mean aversion to ads alpha (lognormal across users).", ge=0, le=MAX_UTILITY
    )
    ad_aversion_cv: float = knob(0.4, "-", "Coefficient of variation of ad aversion.", ge=0, le=5)
    price_sensitivity_mean: float = knob(
        1.0, "utility/$", "Mean price sensitivity lambda (lognormal); converts utility to dollars.", ge=0.001, le=MAX_UTILITY
    )
    price_sensitivity_cv: float = knob(0.3, "-", "Coefficient of variation of price sensitivity.", ge=0, le=5)
    platform_affinity: float = knob(
        0.644, "utility", "Standard deviation of each user's lasting taste for each platform (horizontal differentiation).", ge=0, le=MAX_UTILITY
    )
    engagement: float = knob(
        1000.0, "impressions/month", "Ad impressions a user sees per month at an ad load of 1.", ge=0, le=1_000_000
    )


class Network(Table):
    effect: float = knob(
        3.09, "utility", "Network-effect strength J: utility of a platform holding every platform user.", ge=0, le=100
    )
    social_weight: float = knob(
        0.0, "-", "Weight w of a user's own contacts in its network term: J ((1 - w) global share + w contacts' share); "
        "0: global share only (no social graph), 1: contacts only.", ge=0, le=1
    )
    graph: Literal["small_world", "random"] = knob(
        "small_world", "-", 'Social graph when social_weight > 0: "small_world" (Watts-Strogatz ring with rewired links) '
        'or "random" (Erdos-Renyi, same mean degree).'
    )
    contacts: int = knob(
        10, "contacts", "Mean number of contacts per user in the social graph (even for small_world: half on each side of the ring).",
        ge=1, le=10_000
    )
    rewiring: float = knob(
        0.1, "-", "small_world: probability that each link of the ring is rewired to a random user (0: ring lattice, 1: random).",
        ge=0, le=1
    )


class Switching(Table):
    base_cost: float = knob(
        1.0, "utility", "Switching cost c0 paid to leave a platform, whatever the tenure.", ge=0, le=MAX_UTILITY
    )
    cost_per_month: float = knob(
        0.083, "utility/month", "Switching cost c1 added per month of tenure (data, contacts, content).", ge=0, le=MAX_UTILITY
    )
    tenure_cap: int = knob(60, "months", "Tenure T beyond which the switching cost stops growing.", ge=0, le=6000)


class Regulation(Table):
    interoperability: float = knob(
        0.0, "-", "Interoperability / data portability in [0, 1]: cuts switching costs and shares network benefits.", ge=0, le=1
    )
    ad_load_cap: float = knob(1.0, "share of feed", "Most ad load the regulator allows (1: no cap).", ge=0, le=1)
    max_share: float = knob(
        1.0, "-", "Merger control: a merger that would give one platform more than this share of users is blocked (1: none).", gt=0, le=1
    )
    excess_profit_tax: float = knob(
        0.0, "-", "Tax rate on monthly profit above the normal return on paid-in capital.", ge=0, le=1
    )
    normal_return: float = knob(
        0.1, "1/year", "Annual return on paid-in capital that the excess-profit tax leaves untaxed.", ge=0, le=10
    )
    divestiture: bool = knob(
        False, "-", "Whether the regulator splits a platform holding more than max_share of platform users (forced divestiture)."
    )
    divested_share: float = knob(0.5, "-", "Share of a split platform's users, cash and debts that go to the new platform.", gt=0, lt=1)


class Acquisitions(Table):
    enabled: bool = knob(False, "-", "Whether the leader may buy rising rivals (killer acquisitions).")
    rising_growth: float = knob(
        0.2, "1/year", "A rival whose users grew at least this much over the past year is a rising rival, a target.", ge=0, le=100
    )
    premium: float = knob(0.3, "-", "Premium over the target's valuation that the leader offers its shareholders.", ge=0, le=10)


class Entry(Table):
    entrants: int = knob(
        2, "platforms", "Slots for new for-profit platforms that investors may found during the run (0: no entry).", ge=0, le=50
    )
    rate: float = knob(
        0.02, "1/month",
        "Monthly probability that investors found an entrant while a platform makes a profit and a slot is free "
        "(users with no platform at all get one at once).",
        ge=0, le=1,
    )


class Platforms(Table):
    count: int = knob(4, "platforms", "Platforms present at the start.", ge=1, le=50)
    market: Literal["paid", "ad_funded"] = knob(
        "ad_funded", "-", '"paid": users pay a price each platform sets (negative: a subsidy); "ad_funded": users pay nothing (the price is fixed at 0) and platforms live on advertising.'
    )
    strategy: Literal["adaptive", "fixed"] = knob(
        "adaptive", "-", '"adaptive": levers chosen each month to maximise profit plus growth value; "fixed": kept at initial values.'
    )
    initial_quality: float = knob(2.0, "quality", "Quality stock of each platform at the start.", ge=0, le=MAX_QUALITY)
    initial_ad_load: float = knob(0.05, "share of feed", "Ad load at the start.", ge=0, le=1)
    initial_user_price: float = knob(
        0.0, "$/user-month", "User price at the start (negative = subsidy).", ge=-MAX_PER_USER_MONTH, le=MAX_PER_USER_MONTH
    )
    initial_quality_spend: float = knob(
        1.5, "$/user-month", "Quality spending per user at the start.", ge=0, le=MAX_PER_USER_MONTH
    )
    quality_max: float = knob(5.0, "quality", "Quality that unlimited spending would sustain.", gt=0, le=MAX_QUALITY)
    quality_spend_half: float = knob(
        1.5, "$/user-month", "Spending per user that sustains half of quality_max.", gt=0, le=MAX_PER_USER_MONTH
    )
    quality_efficiency_spread: float = knob(
        0.2, "-", "Platforms differ in how much quality their spending buys: quality_max x U(1 - spread, 1 + spread).", ge=0, lt=1
    )
    quality_depreciation: float = knob(
        0.1, "1/month", "Share of the quality gap to its sustained level closed each month.", gt=0, le=1
    )
    cost_per_user: float = knob(
        0.5, "$/user-month", "Infrastructure and compute cost per active user.", ge=0, le=MAX_PER_USER_MONTH
    )
    fixed_cost: float = knob(
        0.02, "$/potential user-month", "Fixed operating cost, per potential user of the market.", ge=0, le=MAX_PER_USER_MONTH
    )
    acquisition_cost: float = knob(2.0, "$/new user", "Cost of acquiring each user won in a month.", ge=0, le=MAX_PER_USER_MONTH)
    max_ad_load: float = knob(1.0, "share of feed", "Highest ad load a platform may set.", ge=0, le=1)
    min_user_price: float = knob(
        -3.0, "$/user-month", "Lowest user price (largest subsidy) a platform may set.", ge=-MAX_PER_USER_MONTH, le=MAX_PER_USER_MONTH
    )
    max_user_price: float = knob(
        15.0, "$/user-month", "Highest user price a platform may set.", ge=-MAX_PER_USER_MONTH, le=MAX_PER_USER_MONTH
    )
    max_quality_spend: float = knob(8.0, "$/user-month", "Highest quality spending per user.", ge=0, le=MAX_PER_USER_MONTH)
    min_ad_price: float = knob(
        0.5, "$/1000 impressions", "Floor of the ad price: the auction never clears below it.", ge=MIN_AD_PRICE, le=MAX_AD_PRICE
    )
    ad_load_step: float = knob(0.02, "share of feed", "Largest monthly change of ad load an adaptive platform tries.", gt=0, le=1)
    user_price_step: float = knob(0.25, "$/user-month", "Largest monthly change of user price.", gt=0, le=MAX_PER_USER_MONTH)
    quality_spend_step: float = knob(
        0.2, "$/user-month", "Largest monthly change of quality spending.", gt=0, le=MAX_PER_USER_MONTH
    )
    demand_sample: int = knob(
        1500, "users", "Users a platform samples (with replacement) to forecast its demand, whatever the population size.", ge=1, le=1_000_000
    )
    data_noise: float = knob(
        0.3, "-", "Relative error of a platform's demand estimates when it holds 10% of potential users (shrinks as 1/sqrt(share)).", ge=0, le=10
    )
    seed_funding: float = knob(
        8.0, "$/potential user", "Seed round each platform raises at the start, per potential user.", ge=0, le=MAX_PER_POTENTIAL_USER
    )

    @model_validator(mode="after")
    def _ordered_bounds(self):
        if self.min_user_price > self.max_user_price:
            raise ValueError("min_user_price must not exceed max_user_price")
        if self.market == "ad_funded" and self.initial_user_price != 0:
            raise ValueError('initial_user_price must be 0 when market = "ad_funded" (users pay nothing there); '
                             'set market = "paid" for platforms that charge their users')
        return self


class Advertisers(Table):
    count: int = knob(40, "advertisers", "Advertisers buying impressions.", ge=0, le=100_000)
    budget_per_user: float = knob(
        7.0, "$/potential user-month", "Total monthly ad budget of all advertisers, per potential user, were it all spent online.", ge=0, le=MAX_PER_USER_MONTH
    )
    value_per_impression_mean: float = knob(
        12.0, "$/1000 effective impressions", "Mean value of 1,000 effective impressions (lognormal).", ge=0, le=MAX_AD_PRICE
    )
    value_per_impression_cv: float = knob(0.4, "-", "Coefficient of variation of advertisers' value per impression.", ge=0, le=5)
    clutter: float = knob(
        2.0, "1/ad load", "How fast ad effectiveness falls with ad load: effectiveness = 1 / (1 + clutter * ad load).", ge=0, le=1000
    )
    review_rate: float = knob(0.25, "1/month", "Probability that an advertiser reallocates its budget in a month.", gt=0, le=1)
    return_sensitivity: float = knob(1.0, "-", "Exponent of the net return (r - 1) in the budget allocation.", ge=0, le=20)
    audience_premium: float = knob(
        0.0, "-", "Premium kappa on the largest audience: advertisers weigh a platform's reach by (its users / the largest platform's users) to this power (0: reach alone).", ge=0, le=10
    )
    outside_weight: float = knob(0.5, "-", "Reach-equivalent weight of other media before anyone uses a platform.", ge=0, le=100)
    audience_shift: float = knob(
        0.8, "-", "Share of other media's weight lost when the whole population is on platforms.", ge=0, le=1
    )
    attachment_per_month: float = knob(
        0.1, "1/month", "Advertisers' switching cost: each month in a row spent on a platform multiplies its weight in their allocation by 1 + this more (their audience, tools and data there).", ge=0, le=100
    )
    attachment_months: float = knob(
        36.0, "months", "Months in a row after which an advertiser's attachment to a platform stops growing.", ge=0, le=MAX_MONTHS
    )
    online_share_start: float = knob(
        0.1, "-", "Share of advertisers' budgets spent online at the start; their budget then is budget_per_user times this share (1: all of it, from the start).", gt=0, le=1
    )
    online_share_growth: float = knob(
        0.16, "1/year", "Yearly growth of the log-odds of the online share of ad budgets, as media move online (0: the share stays where it starts).", ge=0, le=10
    )


class Investors(Table):
    count: int = knob(8, "investors", "Venture investors (funds).", ge=1, le=10_000)
    capital_per_user: float = knob(
        300.0, "$/potential user", "Total capital of all investors at the start, per potential user.", ge=0, le=MAX_PER_POTENTIAL_USER
    )
    patience_mean: float = knob(
        120.0, "months", "Mean months of losses an investor funds before it wants profit.", ge=0, le=MAX_MONTHS
    )
    patience_spread: float = knob(0.25, "-", "Relative spread of patience across investors (uniform +/-).", ge=0, lt=1)
    bailout_belief: float = knob(0.0, "-", "Investors' belief that a systemic platform would be rescued, in [0, 1].", ge=0, le=1)


class Funding(Table):
    expected_margin_per_user: float = knob(
        0.6, "$/user-month", "Monthly margin investors expect from a locked-in user once the market is won.", ge=0, le=MAX_PER_USER_MONTH
    )
    user_value_months: float = knob(
        120.0, "months", "Months of expected margin the funding market pays for a user (times sentiment: the value of a user).", ge=0, le=MAX_MONTHS
    )
    round_months: float = knob(18.0, "months", "Months of burn a funding round raises.", gt=0, le=MAX_MONTHS)
    runway_trigger_months: float = knob(
        6.0, "months", "A platform raises a round when its cash covers fewer months of burn.", ge=0, le=MAX_MONTHS
    )
    min_share_of_leader: float = knob(
        0.25, "-", "Investors fund a platform's rounds in full from this fraction of the leader's users, in proportion below it.", ge=0, le=1
    )
    winner_take_all: float = knob(
        1.72, "-", "Investors' bet on the leader: a rival's user is worth (its users / the leader's) to this power of a leader's user (0: all alike).", ge=0, le=10
    )
    judgement_users: float = knob(
        0.02, "share of potential users", "Users investors add to every platform before comparing it with the leader (early noise).", ge=0, le=1
    )
    earnings_multiple: float = knob(15.0, "years", "Valuation of a profitable platform in years of profit.", ge=0, le=MAX_YEARS)
    payout_ratio: float = knob(0.5, "-", "Share of excess cash paid out to shareholders each month.", ge=0, le=1)
    cash_buffer_months: float = knob(
        6.0, "months", "Months of costs a profitable platform keeps before paying out.", ge=0, le=MAX_MONTHS
    )
    founder_share: float = knob(
        0.5, "-", "Share of a platform its founders keep after the founding round (founders count as pioneers).", ge=0, lt=1
    )
    pioneer_rounds: int = knob(2, "rounds", "Funding rounds (from the founding one) whose holders count as pioneers.", ge=1)


class Market(Table):
    initial_sentiment: float = knob(
        1.0, "-", "Funding-market sentiment at the start (multiplies valuations).", gt=0, le=MAX_SENTIMENT
    )
    hype_sensitivity: float = knob(
        14.0, "-", "Rise in sentiment's target per unit of the year's adoption (new users in twelve months / potential users).",
        ge=0, le=1000,
    )
    failure_penalty: float = knob(
        0.3, "-", "Fall in sentiment target per platform failure in the past year.", ge=0, le=MAX_SENTIMENT
    )
    sentiment_adjustment: float = knob(
        0.1, "1/month", "Share of the gap to its target that sentiment closes each month.", gt=0, le=1
    )
    min_sentiment: float = knob(0.2, "-", "Lowest sentiment.", gt=0, le=MAX_SENTIMENT)
    max_sentiment: float = knob(3.0, "-", "Highest sentiment.", gt=0, le=MAX_SENTIMENT)


class Bailout(Table):
    enabled: bool = knob(False, "-", "Whether the government rescues systemic platforms that run out of money.")
    systemic_share: float = knob(0.3, "-", "User share above which a platform counts as systemic.", ge=0, le=1)
    form: Literal["grant", "loan", "equity", "guarantee"] = knob(
        "loan", "-",
        'Form of the rescue: "grant", "loan", "equity", or "guarantee" (the state guarantees a private loan; '
        "it pays only if the platform fails).",
    )
    cap_per_user: float = knob(
        200.0, "$/potential user", "Most the government will disburse in total, per potential user.", ge=0, le=MAX_PER_POTENTIAL_USER
    )
    runway_months: float = knob(12.0, "months", "Months of burn a rescue covers beyond the deficit.", ge=0, le=MAX_MONTHS)
    loan_rate: float = knob(0.004, "1/month", "Monthly interest on rescue loans.", ge=0, le=1)
    private_rate: float = knob(
        0.015, "1/month",
        "Monthly rate a private lender would charge a platform in distress: a rescue loan or guarantee "
        "priced below it is a subsidy worth the difference.",
        ge=0, le=1,
    )
    marginal_cost_of_public_funds: float = knob(
        0.25, "-", "Deadweight cost of each dollar raised by tax for a rescue (0.2-0.3 in the literature).", ge=0, le=2
    )
    covers_suppliers: bool = knob(
        False, "-",
        "Whether rescues also cover compute suppliers (suppliers.enabled) whose clients hold at least systemic_share "
        'of platform users: a loan or grant, or for "guarantee" a guarantee of the bonds they issue to pay their way.',
    )


class Cooperative(Table):
    count: int = knob(0, "platforms", "Cooperative or public platforms: the last `count` of platforms.count (0: none).", ge=0)
    kind: Literal["cooperative", "public"] = knob(
        "cooperative", "-", '"cooperative": owned and funded by its members (households); "public": funded by the state.'
    )
    entry_month: int = knob(0, "months", "Month in which the cooperative or public platforms open.", ge=0, le=6000)
    member_funding_per_user: float = knob(
        3.0, "$/potential user", "Capital members put into a cooperative when it opens (0 for a public platform).", ge=0, le=MAX_PER_POTENTIAL_USER
    )
    public_funding_per_user: float = knob(
        0.0, "$/potential user", "Grant from the state (paid by a tax on households) when it opens.", ge=0, le=MAX_PER_POTENTIAL_USER
    )


class Parent(Table):
    platforms: int = knob(
        0, "platforms",
        "Platforms owned by a parent company with profits of its own elsewhere (Microsoft's Bing): the first `platforms` "
        "of platforms.count (0: none). The parent founds it and covers its losses for as long as the run lasts.",
        ge=0,
    )
    user_value_share: float = knob(
        0.5, "-",
        "What the parent pays for a user of its platform, as a share of what the funding market pays for a leader's user "
        "(the platform's strategic worth to it: whatever its share of the market, and with no limit of patience).",
        ge=0, le=10,
    )


class Suppliers(Table):
    enabled: bool = knob(False, "-", "Whether platforms buy compute from suppliers (the AI scenario).")
    count: int = knob(1, "suppliers", "Suppliers of compute; platform j buys from supplier j mod count.", ge=1, le=20)
    compute_share: float = knob(
        0.6, "-", "Share of platforms' infrastructure cost per user that is compute bought from suppliers.", ge=0, le=1
    )
    capital_per_user: float = knob(
        50.0, "$/potential user", "Each supplier's cash at the start, per potential user.", ge=0, le=MAX_PER_POTENTIAL_USER
    )
    production_cost: float = knob(0.5, "-", "Supplier's own cost per dollar of compute sold (paid to the outside).", ge=0, lt=1)
    investment_per_user: float = knob(
        0.0, "$/potential user", "What a supplier invests in a client's funding round, per potential user (0: no circular deals).", ge=0, le=MAX_PER_POTENTIAL_USER
    )
    commitment_multiple: float = knob(
        4.0, "-", "Compute the client commits to buy per dollar the supplier invests.", ge=0, le=100
    )
    commitment_months: float = knob(
        48.0, "months", "Months over which a commitment is bought (take-or-pay) and its capacity bonds repaid.", ge=1, le=MAX_MONTHS
    )
    capacity_share: float = knob(
        0.5, "-", "Capacity a supplier builds at once for a commitment, as a share of it (financed by bonds).", ge=0, le=2
    )
    bond_rate: float = knob(0.005, "1/month", "Monthly interest on suppliers' bonds.", ge=0, le=1)
    revenue_multiple: float = knob(
        10.0, "years", "Suppliers' valuation in years of reported revenue (times sentiment).", ge=0, le=MAX_YEARS
    )
    share_issue_limit: float = knob(
        0.0, "-", "Most a supplier sells in new shares to fund deals its cash cannot, in all, as a share of its "
        "valuation (0: deals out of cash only).", ge=0, le=1
    )
    announcement_boost: float = knob(
        0.05, "-", "Rise in the funding market's sentiment when a circular deal is announced.", ge=0, le=1
    )
    contagion_penalty: float = knob(
        0.3, "-", "Fall in sentiment when a supplier writes off a failed client, and again if it fails itself.", ge=0, le=3
    )


class Lending(Table):
    enabled: bool = knob(False, "-", "Whether platforms may borrow from lenders against their valuation.")
    capital_per_user: float = knob(
        100.0, "$/potential user", "Lenders' capital at the start, per potential user.", ge=0, le=MAX_PER_POTENTIAL_USER
    )
    interest_rate: float = knob(0.008, "1/month", "Monthly interest on platforms' debt, paid in cash.", ge=0, le=1)
    leverage_cap: float = knob(0.3, "-", "Most debt a platform may carry, as a fraction of its valuation.", ge=0, le=10)
    tightening: float = knob(
        0.5, "-", "Share of lenders' appetite lost at each default (credit tightens for everyone).", ge=0, le=1
    )
    recovery_months: float = knob(
        24.0, "months", "Time constant with which lenders' appetite recovers after defaults.", ge=1, le=MAX_MONTHS
    )


class Params(Table):
    """All parameters of one run. Tables map one-to-one to TOML tables."""

    simulation: Simulation = Field(default_factory=Simulation)
    users: Users = Field(default_factory=Users)
    network: Network = Field(default_factory=Network)
    switching: Switching = Field(default_factory=Switching)
    regulation: Regulation = Field(default_factory=Regulation)
    acquisitions: Acquisitions = Field(default_factory=Acquisitions)
    platforms: Platforms = Field(default_factory=Platforms)
    entry: Entry = Field(default_factory=Entry)
    advertisers: Advertisers = Field(default_factory=Advertisers)
    investors: Investors = Field(default_factory=Investors)
    funding: Funding = Field(default_factory=Funding)
    market: Market = Field(default_factory=Market)
    bailout: Bailout = Field(default_factory=Bailout)
    lending: Lending = Field(default_factory=Lending)
    cooperative: Cooperative = Field(default_factory=Cooperative)
    parent: Parent = Field(default_factory=Parent)
    suppliers: Suppliers = Field(default_factory=Suppliers)

    @field_validator("*", mode="before")
    @classmethod
    def _tables_are_tables(cls, value, info):
        if not isinstance(value, (dict, BaseModel)):
            raise ValueError(f"[{info.field_name}] must be a table, not a single value")
        return value

    @model_validator(mode="after")
    def _sentiment_bounds(self):
        if self.market.min_sentiment > self.market.max_sentiment:
            raise ValueError("market.min_sentiment must not exceed market.max_sentiment")
        return self

    @model_validator(mode="after")
    def _social_graph_can_be_built(self):
        network = self.network
        if network.social_weight == 0:
            return self  # no social graph: its settings are not used
        if network.contacts >= self.users.count:
            raise ValueError(f"network.contacts ({network.contacts}) must be below users.count ({self.users.count}) "
                             "when network.social_weight > 0: a user cannot know more users than there are others")
        if network.graph == "small_world" and network.contacts % 2:
            raise ValueError(f"network.contacts ({network.contacts}) must be even for network.graph = \"small_world\": "
                             "each user is linked to contacts / 2 neighbours on each side of the ring")
        return self

    @model_validator(mode="after")
    def _guarantees_need_lenders(self):
        if self.bailout.enabled and self.bailout.form == "guarantee" and not self.lending.enabled:
            raise ValueError('bailout.form = "guarantee" needs lending.enabled = true: '
                             "the state guarantees loans that private lenders make")
        return self

    @model_validator(mode="after")
    def _suppliers_are_rescued_in_a_form_they_can_take(self):
        if self.bailout.enabled and self.bailout.covers_suppliers and self.bailout.form == "equity":
            raise ValueError('bailout.covers_suppliers = true with bailout.form = "equity": suppliers\' shares are not '
                             'modelled; use "loan", "grant" or "guarantee"')
        return self

    @model_validator(mode="after")
    def _divestiture_has_a_threshold(self):
        if self.regulation.divestiture and self.regulation.max_share >= 1:
            raise ValueError("regulation.divestiture splits platforms above regulation.max_share, "
                             "which is 1 (no platform can exceed it): set max_share below 1")
        return self

    @model_validator(mode="after")
    def _cooperatives_can_exist(self):
        coop = self.cooperative
        if coop.count == 0:
            return self
        if coop.count > self.platforms.count:
            raise ValueError(f"cooperative.count ({coop.count}) exceeds platforms.count ({self.platforms.count}): "
                             "cooperatives are some of the platforms")
        if coop.entry_month >= self.simulation.steps:
            raise ValueError(f"cooperative.entry_month ({coop.entry_month}) is not before the end of the run "
                             f"(simulation.steps = {self.simulation.steps}): the cooperative would never open")
        if coop.kind == "public" and coop.public_funding_per_user <= 0:
            raise ValueError('cooperative.kind = "public" needs cooperative.public_funding_per_user > 0: '
                             "a public platform is funded by the state")
        if coop.member_funding_per_user + coop.public_funding_per_user <= 0:
            raise ValueError("cooperative.member_funding_per_user and cooperative.public_funding_per_user are both 0: "
                             "a cooperative raises no venture capital, so it needs members' or public money to open")
        return self

    @model_validator(mode="after")
    def _parents_own_for_profit_platforms(self):
        owned, coop = self.parent.platforms, self.cooperative.count
        if owned + coop > self.platforms.count:
            raise ValueError(f"parent.platforms ({owned}) + cooperative.count ({coop}) exceeds platforms.count "
                             f"({self.platforms.count}): a parent owns one of the first for-profit platforms, "
                             "the cooperatives are the last ones")
        return self

    @property
    def platform_slots(self) -> int:
        """Platform slots of a run: the platforms at the start, one spare per platform for divestitures, the entrants'."""
        return self.platforms.count * (2 if self.regulation.divestiture else 1) + self.entry.entrants

    def is_nonprofit_slot(self, slot: int) -> bool:
        """The last ``cooperative.count`` of the platforms at the start are cooperative or public."""
        return self.platforms.count - self.cooperative.count <= slot < self.platforms.count

    def is_parent_slot(self, slot: int) -> bool:
        """The first ``parent.platforms`` of the platforms at the start are owned by a parent company."""
        return slot < self.parent.platforms

    def slot_kept_for(self, slot: int) -> str | None:
        """What a slot after the platforms at the start is kept for: one per platform for divestitures
        (``regulation.divestiture``), then the entrants' (``entry.entrants``); None for the first platforms."""
        if slot < self.platforms.count:
            return None
        if self.regulation.divestiture and slot < 2 * self.platforms.count:
            return "divestiture"
        return "entry"

    @property
    def has_outside_option(self) -> bool:
        return self.users.outside_utility != "none"
