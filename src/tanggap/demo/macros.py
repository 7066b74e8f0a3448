"""The demo's macros: a handful of the team's written answers in Indonesian and English, created
through the macro service (kept as they are when the database has macros already)."""

from __future__ import annotations

from typing import Any

from tanggap.accounts.models import Team, User
from tanggap.macros.models import Macro
from tanggap.macros.services import macro_create

# (name, team key or None for everyone, Indonesian text, English text, actions)
DEMO_MACROS: list[tuple[str, str | None, str, str, dict[str, Any]]] = [
    (
        "Terima kasih atas kesabarannya / Thank you for your patience",
        None,
        "Halo {{ customer.first_name }},\n\n"
        "Terima kasih atas kesabarannya menunggu jawaban kami untuk tiket #{{ ticket.number }}. "
        "Kami sudah memeriksa pertanyaan Anda dan berikut jawabannya:\n\n\n\n"
        "Salam,\n{{ agent.first_name }}",
        "Hi {{ customer.first_name }},\n\n"
        "Thank you for your patience while we looked into ticket #{{ ticket.number }}. "
        "Here is what we found:\n\n\n\n"
        "Best regards,\n{{ agent.first_name }}",
        {"assign_to_self": True},
    ),
    (
        "Status pesanan / Order status",
        "support",
        "Halo {{ customer.first_name }},\n\n"
        "Terima kasih sudah menghubungi kami. Pesanan Anda sedang kami cek ke pihak ekspedisi. "
        "Nomor resi dan perkiraan tiba akan kami kirimkan paling lambat dalam 1 hari kerja.\n\n"
        "Salam,\n{{ agent.name }}",
        "Hi {{ customer.first_name }},\n\n"
        "Thanks for getting in touch. We are checking your order with the courier and will send you "
        "the tracking number and delivery estimate within 1 business day.\n\n"
        "Best regards,\n{{ agent.name }}",
        {"set_status": "pending", "add_tags": ["pesanan"], "assign_to_self": True},
    ),
    (
        "Kebijakan pengembalian dana / Refund policy",
        "billing",
        "Halo {{ customer.first_name }},\n\n"
        "Pengembalian dana dapat diajukan dalam 14 hari sejak barang diterima, selama barang belum "
        "dipakai dan masih dalam kemasan aslinya. Setelah barang kami terima, dana dikembalikan ke "
        "metode pembayaran semula dalam 3–7 hari kerja.\n\n"
        "Silakan balas email ini dengan foto barang dan nomor pesanan agar kami bisa memprosesnya.\n\n"
        "Salam,\n{{ agent.name }}",
        "Hi {{ customer.first_name }},\n\n"
        "You can ask for a refund within 14 days of receiving the item, as long as it is unused and "
        "in its original packaging. Once we receive it, the money goes back to your original payment "
        "method within 3–7 business days.\n\n"
        "Please reply with a photo of the item and your order number so we can start.\n\n"
        "Best regards,\n{{ agent.name }}",
        {"set_status": "pending", "add_tags": ["refund"]},
    ),
    (
        "Atur ulang kata sandi / Password reset",
        "tech",
        "Halo {{ customer.first_name }},\n\n"
        "Untuk mengatur ulang kata sandi, buka halaman masuk, pilih “Lupa kata sandi”, lalu ikuti "
        "tautan yang kami kirim ke email Anda (berlaku 30 menit). Jika email tidak masuk, periksa "
        "folder spam atau balas pesan ini.\n\n"
        "Salam,\n{{ agent.first_name }}",
        "Hi {{ customer.first_name }},\n\n"
        "To reset your password, open the sign-in page, choose “Forgot password” and follow the link "
        "we email you (valid for 30 minutes). If the email does not arrive, check your spam folder "
        "or reply to this message.\n\n"
        "Best regards,\n{{ agent.first_name }}",
        {"set_status": "solved", "add_tags": ["akun"]},
    ),
    (
        "Mohon maaf atas keterlambatan / Apology for a delay",
        None,
        "Halo {{ customer.first_name }},\n\n"
        "Kami mohon maaf, pesanan Anda terlambat karena kesalahan di gudang kami. Kami sudah mengirim "
        "ulang pesanan hari ini dan menambahkan voucher ongkir untuk pesanan berikutnya.\n\n"
        "Salam,\n{{ agent.name }}",
        "Hi {{ customer.first_name }},\n\n"
        "We are sorry: your order was late because of a mistake in our warehouse. We sent it again "
        "today and added a free-shipping voucher for your next order.\n\n"
        "Best regards,\n{{ agent.name }}",
        {"set_priority": 3, "add_tags": ["terlambat"]},
    ),
]


def create_demo_macros(*, actor: User, teams: dict[str, Team]) -> int:
    """The demo macros, unless there are macros already. Returns how many were created."""
    if Macro.objects.exists():
        return 0
    for name, team_key, body_id, body_en, actions in DEMO_MACROS:
        macro_create(
            actor=actor,
            name=name,
            team=teams.get(team_key) if team_key else None,
            body_id=body_id,
            body_en=body_en,
            **actions,
        )
    return len(DEMO_MACROS)
