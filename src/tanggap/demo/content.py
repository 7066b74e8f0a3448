"""Who and what is in the demo: its teams, inboxes, agents and office hours, and the names,
organisations, topics, items, couriers, banks, devices and cities its customers and conversations
are made of, in Indonesian and English. Pure data: no Django.

What the people in the demo write is in ``demo.conversations``.
"""

from __future__ import annotations

PASSWORD = "tanggap-demo"  # noqa: S105 (the documented demo password; demo data only)

TEAMS = [
    (
        "support",
        "Dukungan Pelanggan",
        "Pesanan, pengiriman dan pertanyaan umum / Orders, delivery and general questions",
    ),
    ("billing", "Penagihan", "Pembayaran, tagihan dan pengembalian dana / Payments, invoices and refunds"),
    ("tech", "Teknis", "Akun, aplikasi dan gangguan teknis / Accounts, the app and technical issues"),
]

# team key, inbox name, local part at AGENT_DOMAIN, language, whether its public web form is open.
# No mail server is configured in the demo: replies stay queued (and retried) until one is
# (TANGGAP_SMTP_URL or the inbox's own SMTP settings).
INBOXES = [
    ("support", "Dukungan", "dukungan", "id", True),
    ("billing", "Penagihan", "tagihan", "id", False),
    ("tech", "Support (English)", "support", "en", False),
]

# username, display name, e-mail local part, role, team keys
AGENTS = [
    ("admin", "Rina Kusumawati", "rina", "admin", ["support", "billing", "tech"]),
    ("bayu", "Bayu Pratama", "bayu", "supervisor", ["support", "billing"]),
    ("dewi", "Dewi Lestari", "dewi", "supervisor", ["tech"]),
    ("agus", "Agus Setiawan", "agus", "agent", ["support"]),
    ("siti", "Siti Rahmawati", "siti", "agent", ["support", "billing"]),
    ("fajar", "Fajar Nugroho", "fajar", "agent", ["tech"]),
    ("putri", "Putri Maharani", "putri", "agent", ["billing", "tech"]),
    ("yoga", "Yoga Saputra", "yoga", "trainee", ["support"]),
]
AGENT_DOMAIN = "bantuan.example"

# Response clocks: one calendar for every team, its supervisor per team, evening cover for support.
CALENDAR_NAME = "Jam kantor Jakarta"
OFFICE_HOURS = {**{day: ["08:00-12:00", "13:00-17:00"] for day in range(5)}, 5: ["09:00-13:00"]}
SUPERVISORS = {"support": "bayu", "billing": "bayu", "tech": "dewi"}
EVENING_ROSTER = ["agus", "siti"]

ID_FIRST = [
    "Budi",
    "Andi",
    "Agung",
    "Ahmad",
    "Bambang",
    "Dimas",
    "Eko",
    "Fikri",
    "Galih",
    "Hendra",
    "Irfan",
    "Joko",
    "Kurniawan",
    "Lukman",
    "Made",
    "Nyoman",
    "Rizky",
    "Taufik",
    "Wahyu",
    "Yusuf",
    "Hadi",
    "Arief",
    "Bagus",
    "Ilham",
    "Reza",
    "Teguh",
    "Wayan",
    "Gilang",
    "Dedi",
    "Surya",
    "Ayu",
    "Citra",
    "Dian",
    "Fitri",
    "Indah",
    "Kartika",
    "Lestari",
    "Maya",
    "Nadia",
    "Novi",
    "Ratna",
    "Sari",
    "Tari",
    "Wulan",
    "Yuni",
    "Intan",
    "Mega",
    "Anisa",
    "Nurul",
    "Rahayu",
    "Sekar",
    "Larasati",
    "Ningsih",
    "Kadek",
    "Ketut",
    "Melati",
    "Diah",
    "Puspita",
    "Widya",
    "Aulia",
]
ID_LAST = [
    "Santoso",
    "Wijaya",
    "Hidayat",
    "Saputra",
    "Susanto",
    "Pratama",
    "Hartono",
    "Kusuma",
    "Gunawan",
    "Halim",
    "Siregar",
    "Nasution",
    "Harahap",
    "Simanjuntak",
    "Sitompul",
    "Lubis",
    "Wibowo",
    "Setiawan",
    "Utomo",
    "Permana",
    "Prasetyo",
    "Suryadi",
    "Firmansyah",
    "Ramadhan",
    "Syahputra",
    "Hakim",
    "Nugraha",
    "Purnama",
    "Putri",
    "Lestari",
    "Anggraini",
    "Maharani",
    "Wulandari",
    "Handayani",
    "Puspitasari",
    "Rahmawati",
    "Sembiring",
    "Tanjung",
    "Pangaribuan",
    "Manurung",
    "Tambunan",
    "Kurniawati",
    "Suharto",
    "Effendi",
]
EN_FIRST = [
    "James",
    "Olivia",
    "Liam",
    "Emma",
    "Noah",
    "Ava",
    "Lucas",
    "Mia",
    "Ethan",
    "Chloe",
    "Daniel",
    "Grace",
    "Samuel",
    "Hannah",
    "Oliver",
    "Sophie",
    "Jack",
    "Ella",
    "Ryan",
    "Zoe",
    "Michael",
    "Laura",
    "David",
    "Sarah",
    "Thomas",
    "Emily",
    "Benjamin",
    "Kate",
]
EN_LAST = [
    "Smith",
    "Johnson",
    "Brown",
    "Taylor",
    "Wilson",
    "Martin",
    "Anderson",
    "Clarke",
    "Walker",
    "Wright",
    "Hughes",
    "Green",
    "Baker",
    "Hall",
    "Turner",
    "Cooper",
    "Reed",
    "Morgan",
    "Bennett",
    "Foster",
    "Tan",
    "Lim",
    "Wong",
    "Chen",
]

MAIL_DOMAINS = ["mail.example", "surel.example", "inbox.example", "posku.example", "webmail.example"]
ORGANISATIONS = [
    ("PT Maju Jaya Sentosa", "majujaya.example"),
    ("CV Sumber Rezeki Abadi", "sumberrezeki.example"),
    ("Koperasi Sejahtera Bersama", "kopsejahtera.example"),
    ("PT Nusantara Digital Niaga", "nusantaradigital.example"),
    ("Toko Buku Cahaya", "tokocahaya.example"),
    ("Warung Kopi Senja", "kopisenja.example"),
    ("Bright Harbor Trading Ltd", "brightharbor.example"),
    ("Greenleaf Studio", "greenleaf.example"),
]
SOCIAL_NETWORKS = ["instagram", "telegram", "x"]

TOPICS = ["order", "delivery", "refund", "payment", "account", "bug"]
TOPIC_TEAM = {
    "order": "support",
    "delivery": "support",
    "refund": "billing",
    "payment": "billing",
    "account": "tech",
    "bug": "tech",
}
TOPIC_TAGS = {
    "order": ["pesanan"],
    "delivery": ["pengiriman"],
    "refund": ["refund"],
    "payment": ["pembayaran"],
    "account": ["akun"],
    "bug": ["bug", "aplikasi"],
}
EXTRA_TAGS = ["vip", "keluhan", "pelanggan-baru", "feedback", "eskalasi", "promo"]

ITEMS = {
    "id": [
        "sepatu lari ukuran 42",
        "kemeja batik lengan panjang",
        "rice cooker 1,8 liter",
        "headset Bluetooth",
        "tas ransel laptop",
        "blender portabel",
        "paket skincare",
        "kompor gas dua tungku",
        "jam tangan pintar",
        "setrika uap",
        "mainan edukasi anak",
        "kopi arabika Gayo 1 kg",
    ],
    "en": [
        "running shoes (size 42)",
        "batik long-sleeve shirt",
        "1.8 litre rice cooker",
        "Bluetooth headset",
        "laptop backpack",
        "portable blender",
        "skincare bundle",
        "two-burner gas stove",
        "smart watch",
        "steam iron",
        "educational toy set",
        "1 kg Gayo arabica coffee",
    ],
}
COURIERS = ["JNE", "J&T Express", "SiCepat", "AnterAja", "Ninja Xpress", "Pos Indonesia"]
BANKS = ["BCA", "Mandiri", "BNI", "BRI", "CIMB Niaga", "GoPay", "OVO", "DANA"]
DEVICES = [
    "Android 14",
    "iPhone 13 (iOS 17)",
    "Samsung Galaxy A54",
    "Xiaomi Redmi Note 12",
    "Chrome di Windows 11",
]
CITIES = ["Jakarta Selatan", "Bandung", "Surabaya", "Medan", "Makassar", "Yogyakarta", "Denpasar", "Semarang"]
