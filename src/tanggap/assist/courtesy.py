"""The courteous close of a customer's message ("Thanks.", "Thank you for your help. Daniel",
"Terima kasih. Surya") and its removal before the tone and intents are read.

Pure: no Django. Customers end a complaint with thanks out of politeness; read with it, "The OTP code
never reaches my phone ... Thank you for your help." showed as positive and as praise. A message that
is nothing but thanks keeps it: then the thanks is the message.
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
