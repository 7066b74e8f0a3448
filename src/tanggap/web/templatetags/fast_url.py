"""Django's ``{% url %}`` tag, answered from a cache of URL patterns.

Every page has dozens of links and ``reverse()`` costs ~0.1 ms each; the shape of a URL only depends on
its name, its number of arguments and the script prefix, so it is reversed once and filled in after.
Installed as a template builtin, so every template's ``{% url %}`` is this one; the behaviour is Django's.
"""

from __future__ import annotations

from typing import Any

from django import template
from django.template.base import Parser, Token
from django.template.context import Context
from django.template.defaulttags import URLNode
from django.template.defaulttags import url as django_url
from django.urls import NoReverseMatch
from django.utils.html import conditional_escape

from tanggap.web.links import cached_reverse

register = template.Library()


class CachedURLNode(URLNode):
    def render(self, context: Context) -> str:
        if self.kwargs:
            return super().render(context)
        args = [arg.resolve(context) for arg in self.args]
        try:
            url = cached_reverse(self.view_name.resolve(context), args)
        except NoReverseMatch:
            if self.asvar is None:
                raise
            url = ""
        if self.asvar:
            context[self.asvar] = url
            return ""
        return str(conditional_escape(url)) if context.autoescape else url


@register.tag
def url(parser: Parser, token: Token) -> Any:
    node = django_url(parser, token)
    node.__class__ = CachedURLNode
    return node
