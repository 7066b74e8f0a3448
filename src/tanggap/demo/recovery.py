"""The demo's service-recovery policy: a few workspace-default offers per failure type, created
through the recovery service (kept as they are when the database has policies already)."""

from __future__ import annotations

from tanggap.accounts.models import User
from tanggap.assist.models import RecoveryKind, RecoveryPolicy
from tanggap.assist.recovery import recovery_policy_create

# (failure type, kind, amount in rupiah, Indonesian wording, English wording)
DEMO_POLICIES: list[tuple[str, str, int, str, str]] = [
    (
        "late_delivery",
        RecoveryKind.VOUCHER,
        25_000,
        "voucher belanja Rp25.000",
        "a Rp25,000 shopping voucher",
    ),
    (
        "damaged_item",
        RecoveryKind.VOUCHER,
        50_000,
        "voucher belanja Rp50.000",
        "a Rp50,000 shopping voucher",
    ),
    (
        "billing_error",
        RecoveryKind.CREDIT,
        20_000,
        "saldo akun Rp20.000",
        "Rp20,000 of account credit",
    ),
    (
        "outage",
        RecoveryKind.CREDIT,
        30_000,
        "saldo akun Rp30.000",
        "Rp30,000 of account credit",
    ),
]


def create_demo_recovery_policies(*, actor: User) -> int:
    """The demo's workspace-default policies, unless there are policies already (``actor`` an admin).
    Returns how many were created."""
    if RecoveryPolicy.objects.exists():
        return 0
    for position, (failure_type, kind, amount, label_id, label_en) in enumerate(DEMO_POLICIES):
        recovery_policy_create(
            actor=actor,
            team=None,
            failure_type=failure_type,
            kind=kind,
            amount=amount,
            label_id=label_id,
            label_en=label_en,
            position=position,
        )
    return len(DEMO_POLICIES)
