"""Generated helpdesk conversations in Indonesian and English for the benchmark loader.

A message is a few sentences from a fixed pool (each pool sentence filled in once, so its stems
are computed once) plus, on a ticket's first message, one line with a unique order number, which
is what agents search for most. Common words ("pesanan", "refund"), mid-frequency words (product
names, cities) and unique ones (order numbers) all occur, as in a real mailbox.
"""

from __future__ import annotations

import random
from dataclasses import dataclass


def _split(text: str, sep: str | None = None) -> tuple[str, ...]:
    return tuple(text.split(sep))


PRODUCTS = _split(
    "kaos polos, sepatu lari, tas ransel, jam tangan, kemeja batik, celana jeans, headphone, powerbank, "
    "kabel data, casing ponsel, blender, rice cooker, kipas angin, setrika, lampu meja, kursi lipat, "
    "botol minum, payung, sandal jepit, kacamata hitam, dompet kulit, jaket hujan, selimut, bantal, sprei, "
    "handuk, sabun cuci, sampo, parfum, lipstik, bedak, serum wajah, vitamin c, susu bubuk, kopi bubuk, "
    "teh celup, mie instan, beras premium, minyak goreng, gula pasir, keyboard, mouse wireless, monitor, "
    "printer, tinta printer, flashdisk, harddisk eksternal, router wifi, webcam, mikrofon, speaker",
    ", ",
)
PRODUCTS_EN = _split(
    "running shoes, backpack, wristwatch, batik shirt, denim jeans, headphones, power bank, charging cable, "
    "phone case, blender, rice cooker, desk fan, iron, desk lamp, folding chair, water bottle, umbrella, "
    "sunglasses, leather wallet, rain jacket, blanket, pillow, bed sheet, towel, perfume, lipstick, "
    "face serum, vitamin supplement, coffee beans, green tea, keyboard, wireless mouse, monitor, printer, "
    "ink cartridge, usb stick, external drive, wifi router, webcam, microphone, speaker, smartwatch",
    ", ",
)
CITIES = _split(
    "Jakarta Surabaya Bandung Medan Semarang Makassar Palembang Denpasar Yogyakarta Malang Bogor Depok "
    "Tangerang Bekasi Padang Pekanbaru Balikpapan Manado Pontianak Banjarmasin Kupang Mataram Ambon Jayapura"
)
COURIERS = _split("JNE J&T SiCepat AnterAja Ninja POS GoSend GrabExpress Lion Wahana")

ID_SENTENCES = (
    "Halo kak, pesanan saya {product} belum sampai sampai sekarang.",
    "Saya sudah melakukan pembayaran lewat transfer bank tapi status pesanan masih menunggu pembayaran.",
    "Barang yang saya terima rusak, kemasannya penyok dan {product} tidak bisa dipakai.",
    "Mohon dibantu pengembalian dana untuk pesanan {product} yang dibatalkan.",
    "Kurir {courier} bilang paket sudah dikirim ke {city} tapi saya belum menerima apa pun.",
    "Nomor resi tidak bisa dilacak di situs {courier}.",
    "Apakah bisa tukar ukuran? {product} yang saya pesan kekecilan.",
    "Saya ingin membatalkan pesanan karena salah memilih warna.",
    "Kenapa ongkos kirim ke {city} mahal sekali dibanding biasanya?",
    "Voucher diskon tidak bisa dipakai saat checkout, muncul pesan kesalahan.",
    "Terima kasih atas bantuannya, masalah saya sudah selesai.",
    "Sudah {days} hari menunggu tapi belum ada kabar dari tim gudang.",
    "Tolong kirim ulang faktur pajak untuk pembelian bulan lalu.",
    "Akun saya terkunci setelah salah memasukkan kata sandi tiga kali.",
    "Saya tidak menerima kode OTP lewat SMS untuk verifikasi pembayaran.",
    "Tagihan kartu kredit saya terpotong dua kali untuk pesanan yang sama.",
    "Bisakah pesanan saya dikirim ke alamat kantor di {city}?",
    "Garansi {product} masih berlaku, bagaimana prosedur klaimnya?",
    "Produk yang datang berbeda dengan foto di katalog.",
    "Mohon informasi kapan stok {product} tersedia lagi.",
    "Paket diterima oleh orang lain, padahal saya tidak pernah memberi izin.",
    "Saya kecewa dengan pelayanan kurir, paket dilempar ke halaman.",
    "Pengiriman ke {city} biasanya berapa hari kerja?",
    "Dana refund sebesar Rp{amount} belum masuk ke rekening saya.",
    "Bagaimana cara mengubah alamat pengiriman setelah pesanan dibuat?",
)
EN_SENTENCES = (
    "Hi, my order for the {product_en} has not arrived yet.",
    "I paid by bank transfer but the order still says awaiting payment.",
    "The item arrived damaged, the box was crushed and the {product_en} does not work.",
    "Please process a refund for the cancelled {product_en} order.",
    "The {courier} driver says the parcel was delivered in {city} but I received nothing.",
    "The tracking number does not work on the {courier} website.",
    "Can I exchange the {product_en} for a bigger size?",
    "I would like to cancel my order because I picked the wrong colour.",
    "Why is shipping to {city} so expensive this time?",
    "The discount voucher is rejected at checkout with an error message.",
    "Thanks for your help, everything is sorted now.",
    "I have been waiting {days} days and nobody from the warehouse replied.",
    "Please resend the tax invoice for last month's purchase.",
    "My account is locked after three wrong password attempts.",
    "I never received the one-time code by SMS to confirm the payment.",
    "My credit card was charged twice for the same order.",
    "Could you ship my order to my office address in {city}?",
    "The {product_en} is still under warranty, how do I make a claim?",
    "The product I received looks different from the catalogue photo.",
    "When will the {product_en} be back in stock?",
    "Someone else signed for the parcel without my permission.",
    "I am disappointed with the courier, the parcel was thrown over the fence.",
    "How many working days does delivery to {city} usually take?",
    "The refund of Rp{amount} has still not reached my bank account.",
    "How do I change the shipping address after placing an order?",
)
ID_REPLIES = (
    "Terima kasih sudah menunggu, Kak. Kami sudah mengecek pesanan Anda.",
    "Mohon maaf atas ketidaknyamanannya. Tim kami sedang menghubungi kurir {courier}.",
    "Dana pengembalian akan masuk dalam 3 sampai 5 hari kerja.",
    "Silakan kirim foto barang yang rusak agar kami bisa memproses penggantian.",
    "Paket Anda sudah diteruskan ke gudang {city} dan akan dikirim besok.",
    "Kami sudah membuatkan voucher pengganti untuk Anda.",
    "Apakah ada hal lain yang bisa kami bantu?",
)
EN_REPLIES = (
    "Thank you for your patience. We have checked your order.",
    "We are sorry for the trouble. Our team is contacting {courier} now.",
    "The refund will reach your account within 3 to 5 working days.",
    "Please send a photo of the damaged item so we can arrange a replacement.",
    "Your parcel has been forwarded to our {city} warehouse and ships tomorrow.",
    "We have issued a replacement voucher for you.",
    "Is there anything else we can help with?",
)
NOTES = (
    "Sudah dicek ke gudang {city}, stok {product} kosong.",
    "Escalated to the logistics team, waiting for {courier}.",
    "Customer minta dihubungi lewat telepon sore hari.",
    "Refund approved by finance, amount Rp{amount}.",
)
ID_SUBJECTS = (
    "Pesanan {product} belum sampai",
    "Refund belum masuk",
    "Barang rusak saat diterima",
    "Tukar ukuran {product}",
    "Pembayaran tidak terverifikasi",
    "Resi tidak bisa dilacak",
    "Pembatalan pesanan",
    "Klaim garansi {product}",
    "Voucher tidak bisa dipakai",
    "Akun terkunci",
    "Tagihan ganda",
    "Ubah alamat pengiriman",
)
EN_SUBJECTS = (
    "Order for {product_en} not arrived",
    "Refund not received",
    "Item arrived damaged",
    "Exchange {product_en}",
    "Payment not confirmed",
    "Tracking number not working",
    "Cancel my order",
    "Warranty claim for {product_en}",
    "Voucher rejected",
    "Account locked",
    "Charged twice",
    "Change delivery address",
)
QUOTED_HISTORY = (
    "\n\n-----Original Message-----\n"
    + " ".join(ID_SENTENCES[:12]).replace("{", "(").replace("}", ")")
    + "\n"
    + " ".join(EN_SENTENCES[:12]).replace("{", "(").replace("}", ")")
)

VARIANTS = 40


def _fill(template: str, rng: random.Random) -> str:
    return template.format(
        product=rng.choice(PRODUCTS),
        product_en=rng.choice(PRODUCTS_EN),
        city=rng.choice(CITIES),
        courier=rng.choice(COURIERS),
        days=rng.randint(2, 21),
        amount=f"{rng.randint(20, 2000) * 1000:,}".replace(",", "."),
    )


@dataclass
class Pool:
    """Filled sentences with their stems, per language and kind."""

    texts: list[str]
    stems: list[list[str]]

    @property
    def indexes(self) -> range:
        return range(len(self.texts))


class Corpus:
    def __init__(self, seed: int, stem_list) -> None:  # type: ignore[no-untyped-def]
        rng = random.Random(seed)
        self._stem_list = stem_list
        self.pools: dict[str, Pool] = {}
        for name, templates in (
            ("id", ID_SENTENCES),
            ("en", EN_SENTENCES),
            ("id_reply", ID_REPLIES),
            ("en_reply", EN_REPLIES),
            ("note", NOTES),
            ("id_subject", ID_SUBJECTS),
            ("en_subject", EN_SUBJECTS),
        ):
            texts = [_fill(t, rng) for t in templates for _ in range(VARIANTS)]
            self.pools[name] = Pool(texts, [stem_list(t) for t in texts])
        self.quoted_stems = stem_list(QUOTED_HISTORY)

    def compose(
        self, rng: random.Random, pool: str, sentences: int, extra: str = "", quoted: bool = False
    ) -> tuple[str, list[str]]:
        """A text of ``sentences`` pool sentences (+ ``extra`` line, + quoted history) and exactly
        ``core.text.stems`` of it, assembled from the cached stems of its parts."""
        chosen = self.pools[pool]
        picks = rng.choices(chosen.indexes, k=sentences)
        parts = [chosen.texts[i] for i in picks]
        stem_parts = [chosen.stems[i] for i in picks]
        if extra:
            parts.append(extra)
            stem_parts.append(self._stem_list(extra))
        text = " ".join(parts)
        if quoted:
            text += QUOTED_HISTORY
            stem_parts.append(self.quoted_stems)
        merged: dict[str, None] = {}
        for stems in stem_parts:
            merged.update(dict.fromkeys(stems))
        return text, list(merged)
