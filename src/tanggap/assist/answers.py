"""Whether an agent's draft answers a customer's question: the words of the question that carry its
meaning (stemmed, fillers and interrogatives left out) found in the draft, with the kinds of answer a
"when", "how much", "why" or yes/no question takes. Pure: no Django. Used by the coach's
*thoroughness* rule.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import islice
from pathlib import Path

from tanggap.core.text import STOPWORDS, stem_en, stem_id, tokens, word_set

from .blame import BLAME
from .questions import MAX_CHARS, Question, sentence_spans

# Why a question looks unanswered. The first four are said by what the draft plainly lacks and are
# seldom wrong; the last four only by which words it uses, and an answer in other words looks the same.
NO_TIME = "no_time"  # asks when (or how long); the draft states no time, date or day
NO_AMOUNT = "no_amount"  # asks how much or how many; the draft states no amount
NO_STEPS = "no_steps"  # asks what to do; the draft gives no steps
PUT_OFF = "put_off"  # the draft only puts it off: "we'll check and let you know"
NOT_TAKEN_UP = "not_taken_up"  # asks to look into something; the draft neither reports nor takes it up
NO_NAME = "no_name"  # the draft never says the name the question asks about ("OVO", "API")
NOT_NAMED = "not_named"  # the draft names none of what the question alone asks about
FEW_WORDS = "few_words"  # the draft names too little of what the question asks about
REASONS = (NO_TIME, NO_AMOUNT, NO_STEPS, PUT_OFF, NOT_TAKEN_UP, NO_NAME, NOT_NAMED, FEW_WORDS)
# The reasons that rest on words alone: the coach says these are worth a look, not that they are missed.
BY_WORDS = frozenset({NOT_TAKEN_UP, NO_NAME, NOT_NAMED, FEW_WORDS})


def _compile(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.IGNORECASE)


_QUESTION_FILLER = word_set(
    """
    apa apakah bagaimana gimana gmn kapan berapa kenapa knp mengapa dimana mana siapa bisakah bolehkah
    adakah boleh mohon info informasi tolong jelaskan dijelaskan mau tanya ya yah kak kakak min gan sis dong
    deh sih kok nya sy aku halo hai hi hello hey masih lagi tdk gak ga nggak enggak kalau kalo kah cara tahu
    tau bisa dapat sekarang dan tapi pak bu bapak ibu juga terus jadi nih padahal begini begitu banget
    sebenarnya sebetulnya terjadi berkali kali beberapa what whats how when where why who whom whose which
    can could would should may might also please tell know let like id would wondering wonder there any me
    get got still even now just really whether does did going been being am s t d ll re ve happen happens
    happened happening possible need keep keeps kept belum per actually
    """
)
_TIME_ANSWER = _compile(
    r"\d|\b(?:hari|besok|lusa|minggu|pekan|bulan|jam|pukul|menit|senin|selasa|rabu|kamis|jumat|sabtu|segera|sekarang"
    r"|pagi|siang|sore|malam|tanggal|today|tomorrow|tonight|week|month|day|days|hour|hours|minutes?|monday|tuesday"
    r"|wednesday|thursday|friday|saturday|sunday|soon|now|morning|afternoon|evening|january|february|march|april|may"
    r"|june|july|august|september|october|november|december|januari|februari|maret|mei|juni|juli|agustus|oktober"
    r"|desember)\b"
)
_NUMBER_ANSWER = _compile(
    r"\d|\b(?:satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|seratus|seribu|gratis|free|one|two|three"
    r"|four|five|six|seven|eight|nine|ten|hundred|no\s+(?:fee|charge|cost)|tidak\s+ada\s+biaya|unlimited)\b"
)
_CAUSE_ANSWER = _compile(
    r"\b(?:karena|krn|sebab|disebabkan|akibat|jadi|makanya|sehingga|because|due\s+to|caused|since|so\s+the|which\s+is"
    r"\s+why|that's\s+why|as\s+a\s+result|after|when|traced\s+(?:\w+\s+){0,2}to|caused\s+by|penyebab\w*|ternyata"
    r"|(?:our\s+)?records\s+show|turns\s+out)\b"
)
# Blaming the customer names a cause, however badly: "You didn't read the confirmation email" answers
# "Why is it still wrong?". The blame rule flags the wording; the question is not also unanswered.
_BLAMED_CAUSE = "|".join(f"(?:{p.pattern})" for _, code, p, _ in BLAME if code == "blame.blames_customer")
_CAUSE = _compile(f"{_CAUSE_ANSWER.pattern}|{_BLAMED_CAUSE}")
# A time an answer gives, stricter than _TIME_ANSWER (where any digit counts): a unit or a time word.
_MONTH = (
    r"(?:jan(?:uary|uari)?|feb(?:ruary|ruari)?|mar(?:ch|et)?|apr(?:il)?|may|mei|june?|juni|july?|juli|aug(?:ust)?"
    r"|agustus|sep(?:tember)?|oct(?:ober)?|okt(?:ober)?|nov(?:ember)?|dec(?:ember)?|des(?:ember)?)"
)
_STATED_TIME = _compile(
    r"\d+\s*(?:-\s*\d+\s*)?(?:(?:business|working|calendar)\s+)?(?:jam|hari|menit|minggu|pekan|bulan|hours?|days?"
    r"|minutes?|weeks?|months?|am|pm|wib)\b"
    rf"|\b(?:tanggal|tgl|jam|pukul)\s+\d|\b\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH}\b"
    rf"|\b{_MONTH}\s+\d{{1,2}}(?:st|nd|rd|th)?\b"
    r"|\d{1,2}[.:]\d{2}\b|\b(?:besok|lusa|hari\s+ini|malam\s+ini|sore\s+ini|nanti\s+malam|senin|selasa|rabu|kamis"
    r"|jumat|sabtu|minggu\s+depan|today|tonight|tomorrow|this\s+(?:morning|afternoon|evening|week)|next\s+week|monday"
    r"|tuesday|wednesday|thursday|friday|saturday|sunday|midday|noon|midnight|tengah\s+(?:hari|malam))\b"
)
_WHEN = _compile(
    r"\b(?:kapan|when|(?:berapa|brp|brapa)\s+lama|how\s+long|how\s+late|how\s+early|how\s+soon|how\s+quickly|what\s+time"
    r"|jam\s+(?:berapa|brp)|seberapa\s+cepat)\b"
)
# "Can I watch on my phone when I'm out?": a yes/no question whose "when" opens a clause, not a
# question of time ("Do you know when it ships?" still asks one).
_WHEN_CLAUSE = _compile(
    r"^\W*(?:(?:and|also|so|but|ok|okay)\W+)?(?:can|could|do|does|is|are|will|would|should|may|must)\b"
    r"(?:(?!\b(?:know|tell|idea|sure|say|confirm|advise|ask|asking|wondering|clarify|check|find\s+out)\b).)*\bwhen$"
)


def _asks_when(text: str) -> bool:
    return any(
        match.group().lower() != "when" or not _WHEN_CLAUSE.search(text[: match.end()])
        for match in _WHEN.finditer(text)
    )


_HOW_MUCH = _compile(
    r"(?<!jam\s)(?<!pukul\s)\b(?:berapa|brp|brapa)\b(?!\s+(?:lama|jam|hari))|\bhow\s+(?:much|many)\b"
    r"|\bwhat(?:'s|\s+is|\s+are)\s+the\s+(?:maximum|minimum|max|min|limit|limits)\b"
)
# A number that counts or prices something: not a duration, a time of day, an order number or a phone number.
_TIME_UNIT = r"jam|hari|menit|minggu|pekan|bulan|tahun|hours?|days?|minutes?|weeks?|months?|years?|am|pm|wib"
_COUNT = _compile(
    rf"(?<![\w#/.:,-])(?!\d{{1,2}}[.:]\d{{2}}(?!\d))\d+(?:[.,]\d+)*(?![\w/:-]|[.,]\d|\s*(?:-\s*\d+\s*)?(?:(?:business|working|calendar|kerja)\s+)?(?:{_TIME_UNIT})\b)"
    r"|\d\s*%|\b(?:satu|dua|tiga|empat|lima|enam|tujuh|delapan|sembilan|sepuluh|seratus|seribu|one|two|three|four"
    r"|five|six|seven|eight|nine|ten|hundred|unlimited)\b"
)
# A "how much" question about a span of time or an age: "30 days' notice", "hingga usia 25 tahun" answer it.
_ASKS_TIME_UNIT = _compile(rf"\b(?:{_TIME_UNIT}|usia|umur|age|old|notice|lama|long|tenor|durasi|duration)\b")
_WHY = _compile(
    r"\b(?:kenapa|knp|mengapa|why)\b|\bwhat(?:'s|\s+is|\s+was)?\s+caus(?:ed|es|ing)\b|\bapa\s+(?:yang\s+)?"
    r"(?:penyebab\w*|menyebabkan)\b|\bpenyebab\w*\s+apa\b"
)
_REASON = _compile(
    r"^(?:\w+\s+){0,2}(?:apa|what(?:'s|\s+is|\s+was)?)\s+(?:(?:the|sebenarnya)\s+)?(?:alasan|alasannya|reason)\W*$"
)
_INTERROGATIVE_PHRASE = _compile(
    r"\b(?:(?:berapa|brp|brapa)\s+lama(?:\s+waktu(?:nya)?)?|how\s+long|how\s+soon|how\s+quickly|how\s+much|how\s+many"
    r"|what\s+time|jam\s+(?:berapa|brp)|seberapa\s+cepat)\b"
)
_YES_NO = _compile(
    r"^(?:[\w\s,]{0,20},\s*)?(?:apakah|apa|bisa|bisakah|boleh|bolehkah|ada|adakah|sudah|masih|is|are|was|can|could|do|does"
    r"|did|will|would|has|have|should|may)\b"
)
_YES_NO_ANSWER = _compile(
    r"\b(?:ya|iya|bisa|boleh|tentu|ada|sudah|belum|tidak|tdk|bukan|yes|yep|no|not|of\s+course|absolutely|certainly"
    r"|sure|we\s+do|we\s+don't|there\s+is|there\s+are|it\s+is|it's)\b"
)
# "Aman gak?", "Ini penipuan ya?", "That's included, right?": a statement asked as yes or no, unless a
# question word asks something else ("Siapa yang harus saya hubungi ya?").
_YES_NO_TAG = _compile(
    r"\b(?:ya|yah|kah|kan|gak|ga|nggak|enggak|ngga|tidak|right|isn't\s+it|aren't\s+they|no)\W*$"
)
_ASKS_WHAT = _compile(
    r"\b(?:siapa|mana|dimana|kemana|bagaimana|gimana|gmn|berapa|brp|kapan|kenapa|knp|mengapa|who|whom|whose|what|which"
    r"|where|how|when|why)\b"
)
# Complaints phrased as questions that a reply answers by acting, not by "yes" or "no".
_RHETORICAL = _compile(
    r"\b(?:do|does|did)\s+(?:you|anyone)\s+(?:even|actually|ever)\s+(?:read|care|listen|check)|\bis\s+anyone\s+"
    r"(?:even\s+|actually\s+|still\s+)?(?:handling|looking|working|dealing)\b|\bare\s+you\s+"
    r"(?:kidding|serious)|\bis\s+this\s+a\s+joke|\bis\s+anyone\s+(?:there|reading)|\bgimana\s+sih|\bkok\s+bisa\b"
)
_CURRENCY = (
    "rp|idr|usd|sgd|eur|gbp|aud|nzd|cad|chf|jpy|cny|hkd|krw|myr|thb|php|vnd|inr|aed|sar|isk|sek|nok|dkk"
)
# What a price question takes: an amount of money, or that there is none to pay.
_MONEY_ANSWER = _compile(
    rf"\b(?:{_CURRENCY})\s*\d|[$€£¥]\s*\d|\d+\s*(?:ribu|rb|juta|jt|k|dollars?|euros?|pounds?|rupiah|{_CURRENCY})\b|\b(?:gratis|free|cuma-cuma|tanpa\s+biaya"
    r"|no\s+(?:extra\s+)?(?:fee|charge|cost)|tidak\s+(?:ada\s+biaya|dikenakan|dipungut)|at\s+no\s+(?:extra\s+)?cost"
    r"|free\s+of\s+charge|included|termasuk|costs?\s+nothing|nothing\s+extra|no\s+extra|tidak\s+(?:ada\s+)?(?:dipungut|dikenai"
    r"|dikenakan)\s+biaya|tidak\s+berbayar)\b"
)
# A sentence that opens with the answer to a yes/no question: "Yes, ...", "Not from us, no", "Bisa, Kak".
_YES_NO_OPENING = _compile(
    r"^(?:(?:(?:hi|hello|hai|halo|dear|selamat\s+(?:pagi|siang|sore|malam))(?:\s+[\w.]+){0,3}|ok|okay|baik|good\s+news|sure)\W+)?(?:ya|iya|yes|yep|yup|no|nope|not|bisa|boleh|tentu|betul|benar"
    r"|tidak|tdk|belum|sudah|bukan|we\s+do|we\s+don't|we\s+can|we\s+can't|of\s+course|absolutely|certainly|unfortunately"
    r"|sayangnya|sadly)\b"
)
# "How do I ...?", "Caranya gimana?", "Apa yang harus saya lakukan?": asks for steps.
_HOW_TO = _compile(
    r"\b(?:prosedur\w*|procedures?|langkah-langkah\w*)\b|\b(?:bagaimana|gimana|gmn|gmana)\s+(?:cara|caranya|langkah|prosedur|prosesnya)|\bcara(?:nya)?\s+(?:\w+\s+){0,3}?"
    r"(?:bagaimana|gimana|gmn|gmana)\b|\b(?:mohon|minta)\s+info\s+cara|\b(?:apa|ngapain)\s+yang\s+(?:harus|perlu)\s+"
    r"(?:saya|aku|sy|kami|kita)?\s*(?:lakukan|dilakukan|kerjakan)|\b(?:harus|perlu)\s+ngapain|\bhow\s+(?:do|can|should"
    r"|would)\s+(?:i|we)\b|\bhow\s+to\b|\bwhat\s+(?:do|should|can)\s+(?:i|we)\s+do\b|\bwhat\s+(?:are\s+)?the\s+steps\b"
)
# Instructions: what a "how do I" question takes.
_STEPS = _compile(
    r"\b(?:buka|klik|pilih|ketuk|tekan|ketik|isi|unggah|upload|masuk\s+ke|kunjungi|datang\s+ke|bawa|kirim(?:kan)?|hubungi"
    r"|silakan|caranya|go\s+to|tap|click|select|choose|open|visit|enter|type|fill\s+in|log\s+in|sign\s+in|head\s+to"
    r"|send|bring|call|just|simply)\b|\S\s*>\s*\S"
)
# "Syaratnya apa saja?", "What documents do I need?": asks what the customer must have or bring.
_NEEDS = _compile(
    r"\b(?:syarat\w*|persyaratan\w*|ketentuan\w*|requirements?|eligib\w*)\b|\bdokumen\s+apa|\bapa\s+(?:saja\s+|aja\s+)?yang\s+"
    r"(?:harus|perlu|wajib)\s+(?:di)?(?:bawa|siapkan|persiapkan|lampirkan|kirim)|\bwhat\s+(?:documents?|do\s+(?:i|we)\s+need"
    r"|should\s+(?:i|we)\s+bring|(?:do\s+)?(?:i|we)\s+need\s+to\s+(?:bring|provide))"
)
_NEEDED = _compile(
    r"\b(?:siapkan|persiapkan|bawa|membawa|lampirkan|cukup|wajib|perlu|harus|dibutuhkan|diperlukan|syaratnya|asalkan|selama"
    r"|minimal|need|needs|required|requires|bring|provide|must|as\s+long\s+as|provided|only\s+if|once)\b"
)
# "Metode pembayaran apa saja?", "What payment methods do you accept?": asks for the options, which a
# list answers ("Visa, Mastercard and bank transfer").
_WHICH_ONES = _compile(
    r"\b(?:apa|mana)\s+(?:saja|aja|sj)\b|\bwhich\s+\w+|\bwhat\s+(?:\w+\s+)?(?:kinds?|types?|methods?|options?|brands?"
    r"|models?|documents?|sizes?|colou?rs?|flavou?rs?|plans?|packages?)\b"
)
# "Where can I collect it?", "Di mana saya bisa klaim?": asks for a place, which an address, a branch,
# a counter or a path in the app gives.
_WHERE = _compile(
    r"\bwhere\s+(?:(?:can|do|should|could|would|must)\s+(?:i|we)|to)\b|\bwhere\s+(?:is|are)\s+(?:the|your)\b"
    r"|\b(?:dimana|di\s+mana|kemana|ke\s+mana)\s+(?:saya|aku|sy|kami|kita|bisa|harus|tempat|lokasi|alamat)"
)
_PLACE = _compile(
    r"\b(?:at|in|from|to)\s+(?:our|any|the\s+nearest)\b|\bin\s+the\s+app\b|\bwith\s+us\b"
    r"|\bin\s+your\s+(?:account|wallet|balance|inbox)\b|\b(?:di|ke)\s+(?:rekening|saldo|akun|dompet)\w*"
    r"|\bdi\s+(?:kami|pihak\s+kami)\b|\bgo\s+to\b|\S\s*>\s*\S|\b(?:jl|jln|jalan)\.?\s+\w"
    r"|\b\d+\s+\w+\s+(?:street|st|road|rd|lane|avenue|ave)\b|\b(?:di|ke|lewat|melalui|via)\s+(?:kantor|gerai|cabang|toko"
    r"|konter|loket|counter|menu|aplikasi|app|halaman|situs|website|lobi|lobby|resepsionis)\w*"
)
_LIST = _compile(r"[^\W\d_][^,;.!?]{0,30},\s*[^,;.!?]{1,30},?\s+(?:and|or|dan|atau|serta)\s+\w")
# "Bisa dicek gak?", "Can you trace it?": asks the team to look into what the rest of the message says,
# which a reply reporting on that subject (or taking it up) does; nothing else is asked.
_CHECK_REQUEST = _compile(
    r"^\W*(?:(?:kak|kakak|min|admin|pak|bu|mas|mbak|gan|sis|halo|hai|hi|hello|so|and|dan)\W+)*(?:bisa|tolong|mohon|minta|boleh"
    r"|can|could|would|will)\s+(?:(?:you|u|kamu|kakak|kak|min|tolong|please|pls|someone|anyone|dibantu|bantu|saya)\s+)*"
    r"(?:di|menge|meng|me)?(?:cek|check|periksa|lacak|trace|track|look\s+into|investigate)\w*"
    r"(?:\s+(?:it|this|that|ini|itu|ya|yah|dong|deh|gak|ga|nggak|enggak|kah|please|again|lagi|ulang|kembali|for\s+me|on\s+it))*\W*$"
)
# A sentence that puts the answer off: what it says about the question's subject is no answer yet.
_DEFERS = _compile(
    r"\b(?:(?:sedang|masih|akan)\s+(?:kami\s+)?(?:cek|periksa|pelajari|tanyakan|konfirmasi|koordinasikan)\w*|kami\s+(?:cek|periksa)"
    r"\s+(?:dulu|terlebih\s+dahulu)|(?:akan\s+)?(?:kami\s+)?(?:kabari|kabarkan|informasikan)\s+(?:lagi|kembali|segera|secepatnya"
    r"|nanti)|(?:we|i)(?:'ll|\s+will|'re|\s+are|'m|\s+am)\s+(?:\w+\s+)?(?:check(?:ing)?|look(?:ing)?\s+into|confirm(?:ing)?"
    r"|find(?:ing)?\s+out|get\s+back|follow(?:ing)?\s+up)|let\s+you\s+know|get\s+back\s+to\s+you|keep\s+you\s+(?:posted|updated))\b"
)
_QUOTED_AMOUNT = _compile(rf"(?:\b(?:{_CURRENCY})\.?\s*|[$€£¥]\s*)\d[\d.,]*")
_NUMBER_WORD = frozenset({"number", "nomor", "no", "nomer"})
_PRICE_WORD = word_set(
    """
    cost costs price prices pricing charge charges charged fee fees penalty harga harganya biaya biayanya
    ongkir ongkirnya ongkos tarif tarifnya denda dendanya berbayar
    """
)
_PERCENT_WORD = word_set("persen persentase percent percentage interest bunga apr")
_PERCENT = _compile(r"\d\s*%|\d\s*(?:persen|percent)\b")
_MIN_COVERAGE = 0.25


# Stems that are common words of their own: Sastrawi takes "perbaiki" (fix) to "baik" (good). Such a
# stem links affixed forms ("perbaikan", "memperbaikinya") but not the bare word ("Baik, Kak").
_COMMON_STEMS = STOPWORDS | _QUESTION_FILLER | word_set("baik masuk lama bagi")


def _word_forms(word: str) -> set[str]:
    forms = {word}
    for stem in (stem_en(word), stem_id(word)):
        if stem != word:
            forms.add(f"~{stem}" if stem in _COMMON_STEMS else stem)
    return forms


THESAURUS = Path(__file__).resolve().parent / "thesaurus.txt"


@lru_cache(maxsize=1)
def _related() -> dict[str, frozenset[str]]:
    """Each form of a thesaurus word, and the forms of every word in its groups."""
    related: dict[str, set[str]] = {}
    for line in THESAURUS.read_text(encoding="utf-8").splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        group: set[str] = set()
        for word in line.split():
            group |= {form for form in _word_forms(word) if form == word or len(form.lstrip("~")) >= 4}
        for form in group:
            related.setdefault(form, set()).update(group)
    return {form: frozenset(forms) for form, forms in related.items()}


def _alternatives(word: str) -> set[str]:
    """What answers for ``word`` in a draft: its forms, and the words the thesaurus groups with it."""
    forms = _word_forms(word)
    related = _related()
    alternatives = set(forms)
    for form in forms:
        alternatives |= related.get(form, frozenset())
    return alternatives


def _content_words(question: Question) -> list[str]:
    # "berapa lama" / "how long" ask for a time: "lama" and "long" are part of the question word there.
    # An amount the customer quotes ("Rp 312.000", "$45") says which payment, not what is asked.
    asked = _QUOTED_AMOUNT.sub(" ", _INTERROGATIVE_PHRASE.sub(" ", question.text))
    return [w for w in tokens(asked) if w not in STOPWORDS and w not in _QUESTION_FILLER]


def unanswered(asked: list[Question], draft_text: str, customer_text: str = "") -> list[Question]:
    """The questions of ``asked`` (found in ``customer_text``) that ``draft_text`` does not seem to answer."""
    return [question for question, _ in unanswered_why(asked, draft_text, customer_text)]


def unanswered_why(
    asked: list[Question], draft_text: str, customer_text: str = ""
) -> list[tuple[Question, str]]:
    """The questions of ``asked`` (found in ``customer_text``) that ``draft_text`` does not seem to
    answer, each with why (one of ``REASONS``).

    A word of the draft that names what one question asks about answers that question, not its
    neighbours through the thesaurus: to "Is the blue one in stock? When will the red one be
    available?", "the blue one is back in stock" answers the first only.
    """
    forms = draft_forms(draft_text)
    named = [set().union(*(_word_forms(w) for w in _content_words(question))) & forms for question in asked]
    kinds = [_kind(question.text) for question in asked]
    sentences = [
        (start, end, draft_forms(customer_text[start:end]))
        for start, end in sentence_spans(customer_text[:MAX_CHARS])
    ]
    said = _without_amounts_of(customer_text, draft_text)
    contexts: list[set[str]] = []
    for question in asked:
        context: set[str] = set()
        for start, end, sentence_forms in sentences:
            if end <= question.start or start >= question.end:
                context |= sentence_forms
        contexts.append(context)
    # What each question alone asks about: the message's common subject ("bagasi" in "Bagasi saya
    # tidak muncul… Di mana bagasi saya? Apa yang harus saya lakukan?") belongs to none of them.
    own = [n - contexts[j] for j, n in enumerate(named)]
    out: list[tuple[Question, str]] = []
    for i, question in enumerate(asked):
        others = set().union(*(n for j, n in enumerate(named) if j != i)) - named[i]
        apart = set().union(*(n for j, n in enumerate(own) if j != i)) - named[i]
        alone = kinds[i] is not None and kinds.count(kinds[i]) == 1
        if kinds[i] == "yes_no" and not alone and i == kinds.index("yes_no"):
            # Of several yes/no questions, a reply opening with "Yes" or "No" answers the first.
            alone = _opens_with_yes_or_no(draft_text)
        why = why_unanswered(question, said, forms, others, alone=alone, context=contexts[i], apart=apart)
        if why is not None:
            out.append((question, why))
    return out


def _without_amounts_of(customer_text: str, draft_text: str) -> str:
    """The draft without the amounts the customer quoted: repeating "Rp 312.000" back states no price
    or amount that a question asked for."""
    quoted = {_digits(m.group()) for m in _QUOTED_AMOUNT.finditer(customer_text)}
    if not quoted:
        return draft_text
    return _QUOTED_AMOUNT.sub(lambda m: " " if _digits(m.group()) in quoted else m.group(), draft_text)


def _digits(amount: str) -> str:
    return re.sub(r"\D", "", amount)


def _opens_with_yes_or_no(draft_text: str) -> bool:
    """Whether one of the draft's first two sentences ("Hi there!", then "Yes — …") opens with yes or no."""
    return any(
        _YES_NO_OPENING.search(draft_text[start:end]) for start, end in islice(sentence_spans(draft_text), 2)
    )


def draft_forms(text: str) -> set[str]:
    forms: set[str] = set()
    for word in tokens(text):
        forms |= _word_forms(word)
    return forms


@lru_cache(maxsize=512)
def _sentence_forms(sentence: str) -> frozenset[str]:
    """The forms of one sentence of a draft, which every question of the message looks at."""
    return frozenset(draft_forms(sentence))


# The kinds of question a pattern alone tells, in the order they are tried.
_KIND_OF_PATTERN = (
    ("when", _asks_when),
    ("why", _WHY.search),
    ("how", _HOW_TO.search),
    ("needs", _NEEDS.search),
    ("which", _WHICH_ONES.search),
    ("where", _WHERE.search),
)


def _kind(text: str) -> str | None:
    for kind, asks in _KIND_OF_PATTERN:
        if asks(text):
            return kind
    if _HOW_MUCH.search(text) and not _ASKS_TIME_UNIT.search(text):
        return "how_much"
    tagged = bool(_YES_NO_TAG.search(text)) and not _ASKS_WHAT.search(text)
    if (_YES_NO.search(text.strip()) or tagged) and not _HOW_MUCH.search(text):
        return "yes_no"
    return None


_ANSWER_OF_KIND = {
    "when": _STATED_TIME,
    "why": _CAUSE,
    "how": _STEPS,
    "which": _LIST,
    "where": _PLACE,
    "needs": _NEEDED,
    "yes_no": _YES_NO_OPENING,
}
# Steps, what to bring, a place or an opening "yes" answer their question in any sentence, whatever
# else it names ("Yes, and on a Business account you get 15 % off"); a time, an amount or a cause
# belongs to the subject beside it ("open on Sunday at 10.00" says nothing of when it closes).
_ANSWERS_ANYWHERE = frozenset({"how", "needs", "where", "yes_no"})
_MONEY_OR_COUNT = _compile(rf"{_MONEY_ANSWER.pattern}|{_COUNT.pattern}")
# "How much would it be?", "Berapa biayanya?": a price, which a weight or a count does not state.
_ASKS_PRICE = _compile(
    r"\bhow\s+much\s+(?:would|will|does|do|is|was|did)\s+(?:it|that|this|they|these|those)\s+(?:\w+\s+)?(?:be|cost)\b"
)


# Clauses a semicolon joins say separate things: "There's no known issue; please reconnect the account".
_CLAUSE_BREAK = re.compile(r"\s*;\s*")


def _stated_apart(pattern: re.Pattern[str], draft_text: str, taken: set[str] | frozenset[str]) -> bool:
    """Whether a sentence of the draft that names no other question's subject says ``pattern``: in
    "the shop opens on Sunday at 10.00", the time answers "is it open on Sunday?", not "when does it
    close?"."""
    for start, end in sentence_spans(draft_text):
        for clause in _CLAUSE_BREAK.split(draft_text[start:end]):
            if pattern.search(clause) and not (_sentence_forms(clause) & taken):
                return True
    return False


def why_unanswered(
    question: Question,
    draft_text: str,
    forms: set[str],
    taken: set[str] | frozenset[str] = frozenset(),
    *,
    alone: bool = False,
    context: set[str] | frozenset[str] = frozenset(),
    apart: set[str] | frozenset[str] | None = None,
) -> str | None:
    """Why ``draft_text`` (whose word forms are ``forms``) does not seem to answer ``question`` (one of
    ``REASONS``), or None when it does. ``taken`` are forms that answer another question of the same
    message, which a thesaurus match here may not use.
    ``alone``: no other question of the message asks as this one does ("when", "why", "how do I",
    "which ones", "what do I need", "how much", yes or no), so a time, a cause, steps, a list, a
    requirement, an amount or a "yes"/"no" the draft states answers it whatever its words.
    ``context``: the forms of the rest of the customer's message; the question's own words outside it
    are what it asks about, and a draft that names none of them (when there are two or more) names
    only the subject, not the answer. ``apart``: the forms that only another question names (not the
    message's common subject); a sentence naming them gives that question its time, amount or cause,
    not this one, when the kind of answer decides (``taken`` when not given)."""
    words = _content_words(question)
    if _RHETORICAL.search(question.text):
        return None
    if _CHECK_REQUEST.search(question.text):
        subject = {form for form in context if not form.startswith("~") and form not in _COMMON_STEMS}
        return None if subject & forms or _DEFERS.search(draft_text) else NOT_TAKEN_UP
    if not words:  # "Gimana ini?": nothing to check the draft against, but "what should I do?" takes steps
        if _asks_when(question.text):  # "How soon could I get it?" takes a time
            return None if _STATED_TIME.search(draft_text) else NO_TIME
        return NO_STEPS if _HOW_TO.search(question.text) and not _STEPS.search(draft_text) else None
    if _REASON.search(question.text) and _CAUSE.search(draft_text):
        return None  # "Apa alasannya?" is a "why", answered by a "karena"
    has_digits = bool(re.search(r"\d{3,}", draft_text))
    entities = {e.lower() for e in re.findall(r"(?<=\s)[A-Z]\w*[A-Z]\w*|\b[A-Z]{2,}\b", question.text)}
    matched = 0
    focus = focus_matched = 0
    plain = plain_matched = 0  # the words that are not names
    for word in words:
        alternatives = _alternatives(word) - taken
        hit = bool(
            alternatives & forms
            or (word in _NUMBER_WORD and has_digits)
            or (word in _PRICE_WORD and _MONEY_ANSWER.search(draft_text))
            or (word in _PERCENT_WORD and _PERCENT.search(draft_text))
        )
        matched += hit
        if word not in entities:
            plain += 1
            plain_matched += hit
        if context and not (_alternatives(word) & context):
            focus += 1
            focus_matched += hit
    asks_when = _asks_when(question.text)
    asks_amount = bool(_HOW_MUCH.search(question.text))
    if asks_when and not _STATED_TIME.search(draft_text):
        return NO_TIME
    if asks_amount and not _amount_answer(question.text, words).search(draft_text):
        return NO_AMOUNT
    # A name the customer asked about ("OVO", "PayPal") must come up, unless the question asks when
    # or how much and the draft says it (stated, past the two checks above) about the question's
    # subject: "Kapan dana masuk ke rekening BCA saya?" is answered by "dana Anda masuk dalam 3 hari kerja".
    stated = asks_when or asks_amount
    kind = _kind(question.text)
    # "HP apa aja yang ada?" names the kind of thing; a list of them ("Samsung A35, iPhone 15 dan
    # Xiaomi 14T") answers without the word.
    listed = kind == "which" and alone and bool(_LIST.search(draft_text))
    # A name may also go unsaid when the draft names most else the question asks about: "Yes, webhooks
    # are available for all payment events" answers "Does your API support webhooks for payment events?".
    most = plain_matched >= 2 and 2 * plain_matched >= plain
    if entities and not (stated and matched) and not listed and not most:
        return None if entities & forms else NO_NAME
    answer = _amount_answer(question.text, words) if kind == "how_much" else _ANSWER_OF_KIND.get(kind or "")
    if alone and answer:
        keep_apart = frozenset() if kind in _ANSWERS_ANYWHERE else taken if apart is None else apart
        if _stated_apart(answer, draft_text, keep_apart):
            return None
    if matched == 0 or (focus >= 2 and not focus_matched):
        return NOT_NAMED
    if _DEFERS.search(draft_text) and _only_deferred(words, taken, draft_text):
        return PUT_OFF
    if matched / len(words) >= _MIN_COVERAGE:
        return None
    if _WHY.search(question.text) and _CAUSE.search(draft_text) and matched:
        return None
    if _YES_NO.search(question.text) and _YES_NO_ANSWER.search(draft_text):
        return None
    return FEW_WORDS


def _amount_answer(question_text: str, words: list[str]) -> re.Pattern[str]:
    """What states the answer to a "how much / how many" question: an amount of money, that there is
    none to pay, a percentage or a count; only money when a price is asked; a number of days only
    when days were asked for."""
    if _ASKS_TIME_UNIT.search(question_text):
        return _NUMBER_ANSWER
    if _asks_price(question_text, words):
        return _MONEY_ANSWER
    return _MONEY_OR_COUNT


def _asks_price(question_text: str, words: list[str]) -> bool:
    """Whether a "how much" question asks a price ("How much would it be?", "Berapa biayanya?")."""
    if any(word in _PERCENT_WORD for word in words):
        return False  # "Biaya admin COD-nya berapa persen?" takes a percentage
    return bool(_ASKS_PRICE.search(question_text)) or any(word in _PRICE_WORD for word in words)


def _only_deferred(words: list[str], taken: set[str] | frozenset[str], draft_text: str) -> bool:
    """Whether every sentence of the draft that names the question's words puts the answer off: "Untuk
    voucher, kami sedang cek dengan tim promo" names the voucher without saying if it can be used."""
    naming = [
        sentence
        for start, end in sentence_spans(draft_text)
        if any((_alternatives(w) - taken) & _sentence_forms(sentence := draft_text[start:end]) for w in words)
    ]
    return bool(naming) and all(_DEFERS.search(sentence) for sentence in naming)
