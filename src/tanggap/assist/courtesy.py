"""The courtesies of a customer's message, and their removal before the tone and intents are read:
the close ("Thanks.", "Thank you for your help. Daniel", "Terima kasih. Surya"), and thanks that open
a "but" ("Thanks for the tip, but the code still isn't arriving", "Makasih kak, tapi saldo saya belum
masuk juga").

Pure: no Django. Customers end a complaint with thanks out of politeness, and open a follow-up to a
reply that did not help with thanks for it; read with the thanks, "The OTP code never reaches my phone
... Thank you for your help." showed as positive and as praise, and so did "Thank you for your reply.
Unfortunately the app still crashes". A message that is nothing but thanks keeps it: then the thanks is
the message. Thanks followed by anything but a "but" ("Thanks, my refund came through", "Terima kasih
atas layanannya selama ini, sangat membantu. Tapi…") are kept: they may be the praise.
"""

from __future__ import annotations

import re

_I = re.IGNORECASE

_THANKS_EN = (
    r"(?:many\s+|big\s+)?(?:thanks|thank\s+you|thankyou|thx|ty|tia)"
    r"(?:\s+(?:so\s+much|very\s+much|a\s+lot|again|in\s+advance|kindly))?"
    r"(?:\s+for\s+(?:all\s+)?(?:your|the)\s+(?:kind\s+|quick\s+|prompt\s+)?(?:help|assistance|support|time|attention"
    r"|patience|understanding|reply|response|cooperation))?"
    r"(?:\s+in\s+advance)?"
)
_THANKS_ID = (
    r"(?:terima\s*kasih|makasih|makasi|trims|tks|thx)"
    r"(?:\s+(?:banyak|sebelumnya|ya|yah|kak|min|gan|sis|pak|bu))*"
    r"(?:\s+atas\s+(?:bantuan|perhatian|kerja\s*sama|respon|respons|waktu|kesediaan|pengertian)(?:nya)?"
    r"(?:\s+(?:dan|serta)\s+(?:bantuan|perhatian|kerja\s*sama|respon|respons|waktu|pengertian)(?:nya)?)?)?"
    r"(?:\s+(?:sebelumnya|ya|kak|min))*"
)
_SIGN_OFF = (
    r"(?:best|kind|warm|warmest)?\s*regards|best(?:\s+wishes)?|cheers|sincerely|yours\s+(?:sincerely|faithfully|truly)"
    r"|respectfully|thanks\s+and\s+regards|thank\s+you\s+and\s+regards|looking\s+forward\s+to\s+(?:your|hearing)"
    r"(?:\s+\w+){0,3}|hope\s+to\s+hear\s+from\s+you(?:\s+soon)?|salam(?:\s+hangat|\s+hormat)?|hormat\s+(?:saya|kami)"
    r"|wassalam\w*|ditunggu\s+(?:kabar|balasan|info)(?:nya)?"
    rf"|mohon\s+bantuan(?:nya)?(?:\s*,?\s*{_THANKS_ID})?"
)
# A whole closing line, with an optional name after a comma: "Thanks, Zoe".
_CLOSING_LINE = re.compile(
    rf"^[\s\-–—~*]*(?:{_THANKS_EN}|{_THANKS_ID}|{_SIGN_OFF})(?:\s*[,.]\s*[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){{0,2}})?"
    r"[\s.!,:;)(^_~-]*$",
    _I,
)
# A closing sentence at the end of the last line: "How can I exchange it? Thanks!"
_CLOSING_TAIL = re.compile(
    rf"(?<=[.!?])\s+(?:{_THANKS_EN}|{_THANKS_ID}|{_SIGN_OFF})[\s.!,:;)(^_~-]*$",
    _I,
)
# A name under the closing: one to three capitalised words ("Zoe", "Surya Setiawan", "- Budi").
_NAME_LINE = re.compile(r"^[\s\-–—~*]*[A-Z][\w'’.-]*(?:\s+[A-Z][\w'’.-]*){0,2}[\s.,]*$")
_MAX_LINES = 6  # closing lines looked at, from the end

# Thanks at the start for what the team said or did ("for the tip", "atas jawabannya"), with whom it
# is said to ("kak", "Lina"), then "but": the thanks is courtesy, the message starts at the "but". The
# runs of spaces and punctuation are possessive (``*+``), so that a long run cannot be tried in every split.
_WORD = r"[^\s,.!?;:…]+"  # a word, without the punctuation that ends a phrase
_BUT = r"\b(?:but|however|unfortunately|sadly|tapi|tetapi|namun|sayangnya|cuma|akan\s+tetapi)\b"
_NAME = r"(?-i:[A-Z][\w'’.-]*)"
_WORD_AFTER_BUT = re.compile(rf"{_BUT}\W*\w", _I)
# The parts both openings share: a greeting with a name, the thanks, and whom they are said to.
_GREETING = rf"^[\s\W]*+(?:(?:hi|hello|halo|hai|dear)(?:\s+{_NAME}){{0,2}}[\s,.!]++)?"
_THANKS_EN_HEAD = (
    r"(?:many\s+|big\s+)?(?:thanks|thank\s+you|thankyou|thx|ty)"
    r"(?:\s+(?:so\s+much|very\s+much|a\s+lot|again))?"
)
_THANKS_ID_HEAD = r"(?:terima\s*kasih|makasih|makasi|trims|tks|thx)(?:\s+(?:banyak|ya|yah|yaa|sebelumnya))*"
_ADDRESSED = rf"(?:[\s,]++(?:kak|min|gan|sis|pak|bu|mas|mbak|{_NAME})){{0,2}}"
_OPENING_THANKS_BUT = re.compile(
    rf"{_GREETING}(?:{_THANKS_EN_HEAD}(?:\s+for\s+(?:{_WORD}\s+){{0,3}}{_WORD})?"
    rf"|{_THANKS_ID_HEAD}(?:\s+(?:atas|untuk|buat|sudah|udah|telah)\s+(?:{_WORD}\s+){{0,3}}{_WORD})?)"
    rf"{_ADDRESSED}[\s,.!;:…-]*+"
    # then, perhaps after what the customer did with the answer ("sudah saya coba", "I tried that"), "but"
    r"(?=(?:(?:sudah|udah)\s+(?:saya\s+)?(?:coba|cek|lakukan|ikuti)\w*"
    r"|i(?:'ve|\s+have)?\s+(?:tried|did|followed)\s+(?:that|it|this|the\s+steps|your\s+\w+))?"
    rf"(?:\s+(?:sesuai|as|like)\s+(?:{_WORD}\s+){{0,3}}{_WORD})?"
    rf"[\s,.!;:…-]*+{_BUT})",
    _I,
)

# A sentence of thanks for the reply that opens the message: "Thank you for the reply.", "Terima kasih
# atas balasannya, Kak." Courtesy when what follows is a complaint. Thanks for what the team did ("for
# fixing it so quickly") are praise, and are not read so.
_REPLY_EN = (
    r"(?:the|your)\s+(?:(?:quick|fast|prompt|kind|swift)\s+)?(?:reply|response|answer|update|info|information"
    r"|tip|suggestion|advice|explanation|help|assistance|email|e-mail|message|feedback)"
)
_REPLY_ID = (
    r"(?:balasan|jawaban|info|informasi|respon|respons|tanggapan|penjelasan|saran|bantuan|update|masukan|email)"
    r"(?:nya)?(?:\s+(?:yang\s+)?(?:cepat|cepatnya))?"
)
_OPENING_THANKS_SENTENCE = re.compile(
    rf"{_GREETING}(?:{_THANKS_EN_HEAD}(?:\s+for\s+{_REPLY_EN})?"
    rf"|{_THANKS_ID_HEAD}(?:\s+(?:(?:atas|untuk|buat)\s+)?{_REPLY_ID})?)"
    rf"{_ADDRESSED}\s*+(?:[.!]++|\n)\s*+",
    _I,
)


def without_closing(text: str) -> str:
    """``text`` without the thanks, sign-off and name it ends with; ``text`` itself when nothing else is
    left."""
    lines = text.rstrip().split("\n")
    filled = [i for i, line in enumerate(lines) if line.strip()][-_MAX_LINES:]
    if not filled:
        return text
    last = len(filled) - 1
    if (
        len(filled) > 1
        and _NAME_LINE.match(lines[filled[last]])
        and _CLOSING_LINE.match(lines[filled[last - 1]])
    ):
        last -= 1  # "Thank you for your help." over "Daniel"
    cut = len(lines)
    while last >= 0 and _CLOSING_LINE.match(lines[filled[last]]):
        cut = filled[last]
        last -= 1
    body = "\n".join(lines[:cut]).rstrip()
    body = _CLOSING_TAIL.sub("", body).rstrip()
    return body if any(ch.isalnum() for ch in body) else text


def without_opening_thanks(text: str) -> str:
    """``text`` after the thanks it opens with when a "but" follows them ("Thanks for the tip, but the
    code still isn't arriving" → "but the code still isn't arriving"); ``text`` itself when it does
    not open so, or when nothing but the "but" is left."""
    match = _OPENING_THANKS_BUT.match(text)
    if match is None:
        return text
    rest = text[match.end() :]
    return rest if _WORD_AFTER_BUT.search(rest) else text


def without_courtesy(text: str) -> str:
    """``text`` without its courteous close and without the thanks that open a "but"."""
    return without_opening_thanks(without_closing(text))


def without_opening_thanks_sentence(text: str) -> str:
    """``text`` after the sentence of thanks it opens with ("Thank you for the reply. The parcel still
    has not arrived." → "The parcel still has not arrived."); ``text`` itself when it does not open
    so, or when nothing else is left."""
    match = _OPENING_THANKS_SENTENCE.match(text)
    if match is None:
        return text
    rest = text[match.end() :]
    return rest if any(ch.isalnum() for ch in rest) else text
