"""What people write in the demo conversations: the customer's first message (subjects,
openings, greetings, sign-offs), follow-ups and reopens, and the agents' replies, closings and
notes, in Indonesian and English. Pure data: no Django.

Templates use ``str.format`` fields filled from ``Facts`` (an order number, an item, a courier …),
so every conversation is assembled from a few varied parts and reads like a real one.
"""

from __future__ import annotations

# ---------------------------------------------------------------- the customer's first message

# Subjects for each opening below (same topic, same position): the customer's own words for it.
SUBJECTS: dict[str, dict[str, list[list[str]]]] = {
    "id": {
        "order": [
            ["Pesanan {order} belum diproses", "Kenapa pesanan saya belum diproses?"],
            ["Mau ubah alamat pesanan {order}", "Salah alamat pengiriman"],
            ["Barang yang datang tidak sesuai", "Salah kirim barang pesanan {order}"],
            ["Pesanan {order} dibatalkan sendiri?", "Pesanan batal padahal sudah bayar"],
        ],
        "delivery": [
            ["Paket belum sampai sudah {days} hari", "Resi {tracking} tidak bergerak"],
            ["Status terkirim tapi barang belum diterima", "Paket tidak pernah sampai"],
            ["Kurir {courier} tidak datang", "Jadwal antar paket terlewat"],
            ["Paket {tracking} bisa diambil sendiri?", "Ambil paket di gudang {city}"],
        ],
        "refund": [
            ["Refund belum masuk ke rekening", "Pengembalian dana pesanan {order}"],
            ["Minta refund barang rusak", "{item} datang dalam keadaan rusak"],
            ["Dana belum kembali setelah pembatalan", "Refund pembatalan {order}"],
            ["Refund dan ongkir pesanan {order}", "Pertanyaan soal refund pembatalan"],
        ],
        "payment": [
            ["Pembayaran via {bank} gagal tapi saldo terpotong", "Saldo terpotong, pesanan belum dibayar"],
            ["Tagihan dobel untuk pesanan {order}", "Kartu ditagih dua kali"],
            ["Transfer sudah tapi status belum lunas", "Konfirmasi pembayaran {order}"],
        ],
        "account": [
            ["Tidak bisa masuk ke akun", "Akun saya terkunci"],
            ["Kode OTP tidak terkirim", "OTP tidak masuk"],
            ["Ganti nomor HP di akun", "Nomor HP lama sudah tidak aktif"],
        ],
        "bug": [
            ["Aplikasi keluar sendiri saat checkout", "Aplikasi force close versi {version}"],
            ["Tombol bayar tidak bisa ditekan", "Tidak bisa bayar di aplikasi"],
            ["Error saat upload foto ulasan", "Gagal mengunggah foto"],
        ],
    },
    "en": {
        "order": [
            ["Order {order} not processed yet", "Why has my order not been processed?"],
            ["Change the delivery address of order {order}", "Wrong delivery address"],
            ["I received the wrong item", "Wrong item sent for order {order}"],
            ["Was my order {order} cancelled?", "Order cancelled although I paid"],
        ],
        "delivery": [
            ["Parcel still not here after {days} days", "Tracking {tracking} not moving"],
            ["Marked as delivered but I never got it", "Parcel never arrived"],
            ["The {courier} courier never came", "Missed delivery slot"],
            ["Can I collect parcel {tracking} myself?", "Collecting my parcel at the {city} hub"],
        ],
        "refund": [
            ["Refund not in my account yet", "Refund for order {order}"],
            ["Refund request for a damaged item", "The {item} arrived broken"],
            ["Money not returned after cancelling", "Refund for cancelled order {order}"],
            ["Refund and shipping fee for order {order}", "Questions about my cancellation refund"],
        ],
        "payment": [
            ["Payment with {bank} failed but I was charged", "Charged but the order is unpaid"],
            ["Charged twice for order {order}", "Duplicate card charge"],
            ["Paid by transfer but the order still says unpaid", "Payment confirmation for {order}"],
        ],
        "account": [
            ["Cannot sign in to my account", "My account is locked"],
            ["Not receiving the OTP code", "OTP never arrives"],
            ["Change the phone number on my account", "My old number is no longer active"],
        ],
        "bug": [
            ["App crashes at checkout", "App closes itself on version {version}"],
            ["The pay button does nothing", "Cannot pay in the app"],
            ["Error when uploading a review photo", "Photo upload fails"],
        ],
    },
}

OPENINGS: dict[str, dict[str, list[str]]] = {
    "id": {
        "order": [
            "Saya pesan {item} dengan nomor pesanan {order} sejak {days} hari lalu, tapi statusnya masih "
            '"menunggu diproses". Apakah ada kendala? Saya butuh barangnya untuk minggu ini.',
            "Saya salah memasukkan alamat di pesanan {order}. Seharusnya dikirim ke {city}, bukan ke alamat "
            "lama. Apakah masih bisa diubah sebelum dikirim?",
            "Barang yang saya terima bukan {item} seperti yang saya pesan (nomor pesanan {order}). "
            "Saya sudah foto kemasannya. Bagaimana cara menukarnya?",
            "Tiba-tiba pesanan {order} berstatus dibatalkan padahal saya tidak membatalkannya. "
            "Pembayarannya sudah lunas. Mohon dijelaskan kenapa.",
        ],
        "delivery": [
            "Paket saya dengan resi {tracking} belum sampai padahal sudah {days} hari. Di pelacakan "
            "{courier} statusnya tidak berubah sejak tiba di gudang {city}. Tolong dibantu cek.",
            'Status pesanan {order} sudah "terkirim" sejak kemarin, tapi saya dan keluarga tidak menerima '
            "paket apa pun. Tidak ada foto bukti pengiriman juga.",
            "Kurir {courier} dijadwalkan datang kemarin antara jam 9 sampai 17, tapi tidak ada yang datang "
            "dan tidak ada telepon. Kapan paket saya akan diantar?",
            "Paket saya dengan resi {tracking} tertahan di gudang {courier} {city}. Bisakah saya ambil "
            "sendiri ke gudang? Jam berapa gudangnya buka? Dokumen apa saja yang perlu saya bawa?",
        ],
        "refund": [
            "Saya mengembalikan {item} dari pesanan {order} minggu lalu dan barangnya sudah diterima gudang. "
            "Tapi dana sebesar {amount} belum masuk ke rekening {bank} saya.",
            "{item} yang saya terima rusak (retak di bagian samping). Saya ingin refund saja, tidak perlu "
            "diganti. Nomor pesanan {order}.",
            "Pesanan {order} sudah dibatalkan {days} hari lalu, tapi pengembalian dana {amount} belum saya "
            "terima. Berapa lama biasanya prosesnya?",
            "Saya membatalkan pesanan {order} kemarin. Kapan dana {amount} masuk ke rekening {bank} saya? "
            "Apakah ongkos kirimnya juga ikut dikembalikan? Dan apakah voucher yang saya pakai bisa "
            "digunakan lagi?",
        ],
        "payment": [
            "Saya bayar pesanan {order} lewat {bank}, muncul pesan gagal, tapi saldo saya terpotong "
            "{amount}. Mohon dicek apakah pembayarannya masuk.",
            "Kartu saya ditagih dua kali untuk pesanan {order}, masing-masing {amount}. Tolong kembalikan "
            "tagihan yang dobel.",
            "Saya sudah transfer {amount} ke virtual account {bank} kemarin sore, tapi status pesanan "
            "{order} masih belum lunas. Bukti transfer terlampir.",
        ],
        "account": [
            'Saya tidak bisa masuk ke akun saya. Setiap kali memasukkan kata sandi muncul "kredensial tidak '
            'valid", padahal sudah reset kata sandi dua kali.',
            "Kode OTP tidak pernah sampai ke nomor saya, sudah coba kirim ulang lima kali. Saya pakai "
            "{device}.",
            "Nomor HP lama saya sudah tidak aktif. Bagaimana cara mengganti nomor di akun supaya tetap bisa "
            "menerima OTP?",
        ],
        "bug": [
            "Setiap kali saya menekan tombol checkout, aplikasinya keluar sendiri. Saya pakai {device} "
            "dengan aplikasi versi {version}. Sudah coba hapus cache tapi tetap sama.",
            'Di halaman pembayaran tombol "Bayar sekarang" tidak bisa ditekan sama sekali. Keranjang saya '
            "berisi {item}. Perangkat: {device}.",
            'Saya mau kasih ulasan untuk {item} tapi setiap upload foto muncul error "gagal mengunggah". '
            "Ukuran fotonya cuma 2 MB.",
        ],
    },
    "en": {
        "order": [
            'I ordered the {item} (order {order}) {days} days ago and it still says "waiting to be '
            'processed". Is there a problem? I need it this week.',
            "I entered the wrong address on order {order}. It should go to {city}, not my old address. "
            "Can it still be changed before it ships?",
            "The item I received is not the {item} I ordered (order {order}). I have photos of the package. "
            "How can I exchange it?",
            "My order {order} suddenly shows as cancelled, but I did not cancel it and it was already paid. "
            "Could you explain why?",
        ],
        "delivery": [
            "My parcel with tracking number {tracking} has not arrived after {days} days. The {courier} "
            "tracking has not changed since it reached the {city} hub. Please check.",
            'Order {order} has said "delivered" since yesterday, but nobody in my household received '
            "anything. There is no proof-of-delivery photo either.",
            "The {courier} courier was scheduled for yesterday between 9 and 5, but nobody came and nobody "
            "called. When will my parcel be delivered?",
            "My parcel {tracking} is held at the {courier} hub in {city}. Can I collect it myself? What "
            "time does the hub open, and which documents do I need to bring?",
        ],
        "refund": [
            "I returned the {item} from order {order} last week and the warehouse has received it, but the "
            "{amount} refund has not reached my {bank} account.",
            "The {item} arrived damaged (cracked on the side). I would like a refund rather than a "
            "replacement. Order number {order}.",
            "Order {order} was cancelled {days} days ago but I have not received the {amount} refund yet. "
            "How long does it usually take?",
            "I cancelled order {order} yesterday. When will the {amount} reach my {bank} account? Is the "
            "shipping fee refunded too? And can I use my voucher again?",
        ],
        "payment": [
            "I paid for order {order} with {bank}, got a failure message, but {amount} was taken from my "
            "balance. Could you check whether the payment went through?",
            "My card was charged twice for order {order}, {amount} each time. Please refund the duplicate.",
            "I transferred {amount} to the {bank} virtual account yesterday afternoon, but order {order} "
            "still shows as unpaid. The receipt is attached.",
        ],
        "account": [
            'I cannot sign in. Every time I enter my password it says "invalid credentials", and I have '
            "already reset the password twice.",
            "The OTP code never reaches my phone; I tried resending five times. I am on {device}.",
            "My old phone number is no longer active. How do I change the number on my account so I can "
            "still receive the OTP?",
        ],
        "bug": [
            "Every time I tap checkout, the app closes itself. I am on {device} with app version {version}. "
            "I cleared the cache but nothing changed.",
            'On the payment page the "Pay now" button does nothing at all. My cart has the {item}. '
            "Device: {device}.",
            'I want to review the {item} but every photo upload fails with "upload failed". The photo is '
            "only 2 MB.",
        ],
    },
}

GREETINGS = {
    "id": ["Halo,", "Selamat pagi,", "Selamat siang,", "Selamat sore,", "Halo Tim Dukungan,", "Permisi,"],
    "en": ["Hello,", "Hi there,", "Good morning,", "Good afternoon,", "Dear support team,", "Hi,"],
}
SIGN_OFFS = {
    "id": ["Terima kasih.", "Mohon bantuannya, terima kasih.", "Ditunggu kabarnya.", "Salam,"],
    "en": ["Thanks.", "Thank you for your help.", "Looking forward to hearing from you.", "Regards,"],
}

# ---------------------------------------------------------------- the rest of the conversation

CUSTOMER_FOLLOW_UPS = {
    "id": [
        "Ini nomor pesanannya: {order}. Saya lampirkan juga tangkapan layarnya.",
        "Sudah saya coba sesuai saran, tapi masalahnya masih sama.",
        "Baik, saya tunggu kabarnya. Kira-kira berapa lama ya?",
        "Alamat lengkap saya di {city}, dekat kantor kelurahan. Nomor yang bisa dihubungi masih sama.",
        "Mohon dipercepat ya, barangnya untuk hadiah ulang tahun anak saya.",
        "Saya sudah cek lagi, ternyata rekening tujuan refund-nya {bank}.",
    ],
    "en": [
        "Here is the order number: {order}. I attached a screenshot as well.",
        "I tried what you suggested, but the problem is still the same.",
        "OK, I will wait. Roughly how long will it take?",
        "My full address is in {city}, near the district office. The phone number is still the same.",
        "Please hurry if you can, it is a birthday present for my daughter.",
        "I checked again: the refund should go to my {bank} account.",
    ],
}
CUSTOMER_REOPENS = {
    "id": [
        "Maaf, ternyata masih belum beres. Barusan saya cek lagi dan masalahnya muncul lagi.",
        "Terima kasih, tapi sampai sekarang belum ada perubahan di sisi saya.",
        "Saya masih menunggu, belum ada kabar dari kurir.",
    ],
    "en": [
        "Sorry, it is not fixed after all. I just checked again and the problem is back.",
        "Thanks, but nothing has changed on my side yet.",
        "I am still waiting, there is no news from the courier.",
    ],
}

REPLY_GREETINGS = {
    "id": ["Halo Kak {name},", "Halo {name},", "Selamat siang Kak {name},"],
    "en": ["Hi {name},", "Hello {name},", "Dear {name},"],
}
# After a wait, thank the customer for their patience rather than apologise for the delay.
REPLY_THANKS = {
    "id": ["Terima kasih sudah menghubungi kami.", "Terima kasih atas pesannya."],
    "en": ["Thank you for getting in touch.", "Thanks for your message."],
}
REPLY_THANKS_AFTER_WAIT = {
    "id": ["Terima kasih sudah menunggu.", "Terima kasih atas kesabarannya."],
    "en": ["Thank you for your patience.", "Thanks for waiting."],
}
REPLY_FIRST = {
    "id": {
        "order": (
            "Saya sudah cek pesanan {order}: pesanannya tertahan karena verifikasi stok {item}. "
            "Saya sudah minta gudang memprosesnya hari ini. Nanti saya kabari lagi begitu nomor resi keluar."
        ),
        "delivery": (
            "Saya sudah menghubungi {courier} tentang resi {tracking}. Mereka sedang melacak paketnya di "
            "gudang {city}. Biasanya jawabannya kami terima dalam 1x24 jam, dan saya akan kabari Kakak."
        ),
        "refund": (
            "Pengembalian dana {amount} untuk pesanan {order} sudah kami ajukan ke tim keuangan. "
            "Proses ke rekening {bank} biasanya 3 sampai 5 hari kerja. "
            "Boleh dibantu konfirmasi 4 digit terakhir rekeningnya?"
        ),
        "payment": (
            "Saya sudah cek transaksi {bank} untuk pesanan {order}. Pembayarannya tercatat tapi belum "
            "terhubung ke pesanan. Mohon kirimkan bukti transfer supaya bisa saya cocokkan."
        ),
        "account": (
            "Demi keamanan, akun Kakak kami kunci sementara setelah beberapa percobaan masuk gagal. Saya "
            "sudah membuka kuncinya; silakan coba lagi dengan tautan reset kata sandi yang baru saya kirim."
        ),
        "bug": (
            "Terima kasih laporannya yang lengkap. Kami berhasil mereproduksi masalah ini di {device} dan "
            "tim teknis sedang memperbaikinya. Sementara itu, checkout lewat situs web bisa dipakai."
        ),
    },
    "en": {
        "order": (
            "I checked order {order}: it was held for a stock check on the {item}. I have asked the "
            "warehouse to process it today and will let you know as soon as there is a tracking number."
        ),
        "delivery": (
            "I have contacted {courier} about tracking number {tracking}. They are tracing the parcel at "
            "the {city} hub. We usually hear back within 24 hours, and I will update you then."
        ),
        "refund": (
            "Your {amount} refund for order {order} has been sent to our finance team. Refunds to {bank} "
            "usually take 3 to 5 working days. Could you confirm the last 4 digits of the account?"
        ),
        "payment": (
            "I checked the {bank} transaction for order {order}. The payment was recorded but not yet "
            "matched to your order. Please send the transfer receipt so I can match it."
        ),
        "account": (
            "For your security, the account was locked after several failed sign-in attempts. I have "
            "unlocked it; please try again with the new password reset link I just sent."
        ),
        "bug": (
            "Thanks for the detailed report. We can reproduce this on {device} and the team is working on "
            "a fix. In the meantime, checkout on the website works."
        ),
    },
}
REPLY_UPDATE = {
    "id": [
        "Ada kabar terbaru: tim kami sudah menerima konfirmasi dan prosesnya sedang berjalan. Saya akan "
        "kabari lagi paling lambat besok siang.",
        "Saya sudah meneruskan data tambahan dari Kakak ke tim terkait. Mohon ditunggu, saya pantau terus.",
        "Kami masih menunggu jawaban dari {courier}. Saya sudah menandai kasus ini sebagai prioritas.",
    ],
    "en": [
        "An update: our team has received the confirmation and it is being processed. I will update you by "
        "tomorrow noon at the latest.",
        "I have passed the extra details on to the right team. I am keeping an eye on it.",
        "We are still waiting for {courier} to reply. I have marked the case as a priority.",
    ],
}
REPLY_SOLVED = {
    "id": {
        "order": (
            "Pesanan {order} sudah dikirim hari ini, nomor resinya {tracking}. "
            "Kalau ada yang kurang, balas saja email ini."
        ),
        "delivery": (
            "{courier} sudah menemukan paketnya dan mengantarnya hari ini. Mohon maaf atas keterlambatannya; "
            "sebagai gantinya kami kirimkan voucher ongkir untuk pesanan berikutnya."
        ),
        "refund": (
            "Pengembalian dana {amount} sudah kami transfer ke rekening {bank} Kakak hari ini. "
            "Dana biasanya terlihat dalam 1 hari kerja."
        ),
        "payment": (
            "Pembayaran {amount} sudah tercocokkan dan pesanan {order} kini berstatus lunas. "
            "Tagihan ganda sudah kami batalkan."
        ),
        "account": (
            "Nomor HP di akun Kakak sudah kami perbarui dan OTP sudah bisa diterima. "
            "Silakan masuk kembali seperti biasa."
        ),
        "bug": (
            "Perbaikannya sudah tersedia di aplikasi versi {version}. Silakan perbarui aplikasi dari toko "
            "aplikasi; checkout seharusnya sudah normal."
        ),
    },
    "en": {
        "order": (
            "Order {order} shipped today, tracking number {tracking}. "
            "If anything is missing, just reply to this e-mail."
        ),
        "delivery": (
            "{courier} found the parcel and delivered it today. We are sorry for the delay; we have added a "
            "free-shipping voucher to your account for your next order."
        ),
        "refund": (
            "We transferred the {amount} refund to your {bank} account today. "
            "It usually shows up within one working day."
        ),
        "payment": (
            "The {amount} payment is matched and order {order} is now paid. "
            "We cancelled the duplicate charge."
        ),
        "account": (
            "We updated the phone number on your account and the OTP now arrives. You can sign in as usual."
        ),
        "bug": (
            "The fix is out in app version {version}. Please update the app from the store; "
            "checkout should work normally now."
        ),
    },
}
REPLY_CLOSINGS = {
    "id": ["Salam,\n{agent}", "Semoga membantu.\n{agent}", "Salam hangat,\n{agent} – Tim Tanggap"],
    "en": ["Best regards,\n{agent}", "Hope this helps.\n{agent}", "Kind regards,\n{agent} – Tanggap team"],
}
NOTES = {
    "id": [
        "Sudah cek di dasbor {courier}: paket tertahan di gudang {city}. Eskalasi ke PIC kurir.",
        "Pelanggan ini sudah 3 kali menghubungi soal hal yang sama; tolong prioritaskan.",
        "Menunggu konfirmasi tim keuangan untuk refund {amount}.",
        "Bug sudah dilaporkan ke tim aplikasi, tiket internal APP-{ticket_ref}.",
        "Cek mutasi {bank}: dana masuk, belum ter-rekonsiliasi otomatis.",
    ],
    "en": [
        "Checked the {courier} dashboard: parcel held at the {city} hub. Escalated to the courier contact.",
        "Third contact from this customer about the same thing; please prioritise.",
        "Waiting for finance to confirm the {amount} refund.",
        "Reported to the app team, internal ticket APP-{ticket_ref}.",
        "Checked the {bank} statement: money arrived, not reconciled automatically.",
    ],
}
HOLD_NOTES = {
    "id": "Menunggu jawaban pihak ketiga ({courier}/{bank}); tiket ditahan sampai ada kabar.",
    "en": "Waiting on a third party ({courier}/{bank}); ticket on hold until they reply.",
}
TRIAGE_NOTES = {
    "id": "Sudah dibaca, sedang dicek dulu sebelum dibalas.",
    "en": "Read it; checking before replying.",
}
