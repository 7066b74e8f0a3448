"""The demo's macros: created through the service, in both languages, once."""

from __future__ import annotations

from tanggap.demo.macros import DEMO_MACROS, create_demo_macros
from tanggap.macros.models import Macro
from tanggap.macros.services import macro_apply


def test_demo_macros_are_valid_and_created_once(admin, make_team, agent, team, ticket):
    teams = {"support": team, "billing": make_team("Penagihan"), "tech": make_team("Teknis")}
    assert create_demo_macros(actor=admin, teams=teams) == len(DEMO_MACROS)
    assert create_demo_macros(actor=admin, teams=teams) == 0
    macros = list(Macro.objects.all())
    assert len(macros) == len(DEMO_MACROS) >= 4
    assert all(m.body_id and m.body_en for m in macros)
    order = Macro.objects.get(name__startswith="Status pesanan")
    assert order.team == team and order.set_status == "pending"
    applied = macro_apply(actor=agent, ticket=ticket, macro=order, language="id")
    assert applied.text.startswith("Halo Siti,")
    assert "{{" not in applied.text
