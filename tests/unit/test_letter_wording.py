"""The collection letters' wording and late fee (issue 11 defect 5): a period that names the fee
is not doubled, and the late fee counts each amount for the days it was actually owed."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from engine.rules.letters import Arrears, arrears_of, render

DEBT = {"owner": "张三", "room": "3-2-1102", "amount_due": 3600, "due_date": "2026-03-31", "late_fee_rate": 0.001}


def letter(**data) -> tuple[str, Arrears]:
    debt = arrears_of({**DEBT, **data}, date(2026, 5, 30))
    return render("demand", debt, number="CJ-2026-000001", issued_on=date(2026, 5, 30), data={**DEBT, **data}), debt


def test_a_period_that_names_the_fee_is_not_doubled():
    html, _ = letter(period="2026年度物业服务费")
    assert "2026年度物业服务费人民币" in html and "物业服务费的物业服务费" not in html
    html, _ = letter(period="2026年1月–12月")
    assert "2026年1月–12月的物业服务费人民币" in html


def test_the_late_fee_counts_each_amount_for_the_days_it_was_owed():
    # 3,600 due 31 March; 1,800 paid on 30 April (30 days late); 1,800 still owed on 30 May (60 days)
    _, debt = letter(period="2026年度物业服务费", balance=1800, payments=[[1800, "2026-04-30"]])
    assert debt.days_overdue == 60
    assert debt.late_fee == Decimal("1800") * Decimal("0.001") * 60 + Decimal("1800") * Decimal("0.001") * 30
    assert debt.late_fee == Decimal("162.00")
    _, early = letter(period="2026年度物业服务费", balance=1800, payments=[[1800, "2026-03-01"]])
    assert early.late_fee == Decimal("108.00")            # paid before the due date: owes nothing for it
