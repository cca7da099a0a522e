"""The auditor's search form: which events, by whom, on what, from where, between which dates
(calendar days in Asia/Shanghai, the platform's time)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django import forms
from django.utils import timezone

GROUP_SUFFIX = ".*"


def _action_choices(actions: list[str]) -> list:
    groups = sorted({action.split(".")[0] for action in actions})
    return [
        ("", "全部事件"),
        ("按类别", [(group + GROUP_SUFFIX, f"{group}.*（该类全部）") for group in groups]),
        ("单个事件", [(action, action) for action in actions]),
    ]


def _day_start(day: date | None) -> datetime | None:
    """The first moment of a calendar day on the platform's clock (Asia/Shanghai)."""
    if day is None:
        return None
    return timezone.make_aware(datetime.combine(day, time.min), timezone.get_default_timezone())


class AuditSearchForm(forms.Form):
    action = forms.ChoiceField(label="事件", required=False)
    actor = forms.CharField(label="操作人包含", max_length=150, required=False)
    target = forms.CharField(label="对象包含", max_length=200, required=False)
    address = forms.CharField(label="来源地址", max_length=45, required=False)
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, data, *, actions: list[str]):
        super().__init__(data)
        self.fields["action"].choices = _action_choices(actions)

    def clean(self) -> dict:
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", "截止日期不能早于起始日期")
        return cleaned

    def criteria(self) -> dict:
        """The keyword arguments of core.audit.search_audit; the end date counts whole."""
        data = self.cleaned_data
        action = data["action"]
        grouped = action.endswith(GROUP_SUFFIX)
        day_after = data["date_to"] + timedelta(days=1) if data["date_to"] else None
        return {
            "action": "" if grouped else action,
            "action_prefix": action.removesuffix("*") if grouped else "",
            "actor": data["actor"],
            "target": data["target"],
            "address": data["address"],
            "since": _day_start(data["date_from"]),
            "before": _day_start(day_after),
        }

    def filters(self) -> dict[str, str]:
        """The filters as typed, for the audit record of an export."""
        return {name: str(value) for name, value in self.cleaned_data.items() if value}
