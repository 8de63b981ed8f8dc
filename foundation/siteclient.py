"""A small HTTP client that uses the site as a browser does, for tests and load runs against a
real server (``manage.py soak``, tests/foundation/test_two_servers.py).

It keeps cookies, fills forms from the HTML the server sent (every input, select and textarea
with its current value, hidden CSRF token and version stamp included), and never follows
redirects by itself, so that a caller sees the 302 that says a form was accepted. Standard
library only.
"""

import http.cookiejar
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from html.parser import HTMLParser


@dataclass
class Response:
    status: int
    headers: dict
    body: bytes

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")

    @property
    def location(self):
        return self.headers.get("location", "")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class FormParser(HTMLParser):
    """The fields of every ``<form>`` of a page, as a browser would submit them untouched."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms = []  # [{"attrs": {...}, "fields": [(name, value), …]}]
        self._select = None
        self._option = None
        self._textarea = None

    def _fields(self):
        if not self.forms:
            self.forms.append({"attrs": {}, "fields": []})
        return self.forms[-1]["fields"]

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.forms.append({"attrs": attrs, "fields": []})
        elif tag == "input":
            kind = attrs.get("type", "text").lower()
            name = attrs.get("name")
            if not name or kind in ("submit", "button", "image", "reset", "file"):
                return
            if kind in ("checkbox", "radio") and "checked" not in attrs:
                return
            self._fields().append((name, attrs.get("value", "on" if kind == "checkbox" else "")))
        elif tag == "select":
            self._select = {"name": attrs.get("name"), "multiple": "multiple" in attrs,
                            "chosen": [], "first": None}
        elif tag == "option" and self._select is not None:
            self._option = {"value": attrs.get("value"), "text": "",
                            "selected": "selected" in attrs}
        elif tag == "textarea":
            self._textarea = {"name": attrs.get("name"), "text": ""}

    def handle_data(self, data):
        if self._option is not None:
            self._option["text"] += data
        elif self._textarea is not None:
            self._textarea["text"] += data

    def _close_option(self):
        option, self._option = self._option, None
        if option is None or self._select is None:
            return
        value = option["value"] if option["value"] is not None else option["text"].strip()
        if self._select["first"] is None:
            self._select["first"] = value
        if option["selected"]:
            self._select["chosen"].append(value)

    def handle_endtag(self, tag):
        if tag == "option":
            self._close_option()
        elif tag == "select" and self._select is not None:
            self._close_option()
            select, self._select = self._select, None
            if not select["name"]:
                return
            chosen = select["chosen"]
            if not chosen and not select["multiple"] and select["first"] is not None:
                chosen = [select["first"]]
            self._fields().extend((select["name"], value) for value in chosen)
        elif tag == "textarea" and self._textarea is not None:
            area, self._textarea = self._textarea, None
            if area["name"]:
                text = area["text"][1:] if area["text"].startswith("\n") else area["text"]
                self._fields().append((area["name"], text))


def form_fields(html, form_id=None):
    """The fields of the form with ``id=form_id`` (else the largest form with a CSRF token)."""
    parser = FormParser()
    parser.feed(html)
    for form in parser.forms:
        if form_id is not None and form["attrs"].get("id") == form_id:
            return list(form["fields"])
    if form_id is None:  # the page's main form: the largest one that carries a CSRF token
        forms = [f for f in parser.forms if any(n == "csrfmiddlewaretoken" for n, _ in f["fields"])]
        if forms:
            return list(max(forms, key=lambda form: len(form["fields"]))["fields"])
    raise ValueError(f"no form {form_id or 'with a CSRF token'} on the page")


def set_field(fields, name, *values):
    """Replace every value of ``name`` with ``values`` (none: leave the field out)."""
    kept = [(key, value) for key, value in fields if key != name]
    return kept + [(name, value) for value in values]


class SiteClient:
    """One visitor: a cookie jar and a base URL such as ``http://127.0.0.1:8000``."""

    def __init__(self, base_url, timeout=30):
        self.base_url = base_url.rstrip("/")
        self.last_response = None
        self.timeout = timeout
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirect()
        )

    def url(self, path):
        return path if path.startswith("http") else self.base_url + path

    def request(self, method, path, data=None, headers=None):
        body = None
        headers = dict(headers or {})
        if data is not None:
            body = urllib.parse.urlencode(data, doseq=True).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers.setdefault("Referer", self.url(path))
        request = urllib.request.Request(self.url(path), data=body, method=method, headers=headers)
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return Response(response.status, _lower(response.headers), response.read())
        except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx and 5xx
            return Response(error.code, _lower(error.headers), error.read())

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, data, **kwargs):
        return self.request("POST", path, data=data, **kwargs)

    def cookie(self, name):
        return next((c.value for c in self.cookies if c.name == name), None)

    def login(self, username, password, login_path="/admin/login/"):
        """Log in through the admin's form; True when the server accepted it."""
        self.last_response = page = self.get(login_path)
        if page.status != 200:
            return False
        fields = form_fields(page.text, "login-form")
        fields = set_field(set_field(fields, "username", username), "password", password)
        fields = set_field(fields, "next", "/admin/")
        self.last_response = response = self.post(login_path, fields)
        return response.status == 302

    def submit_admin_form(self, path, changes, button="_save"):
        """GET an admin add/change form, apply ``changes`` ({name: value or [values]}), POST
        it with ``button`` (``_save``, or ``_continue`` to be sent back to the change page,
        whose address names the object). Returns the response: a 302 when the admin saved,
        200 with the errors otherwise."""
        page = self.get(path)
        if page.status != 200:
            return page
        fields = form_fields(page.text, None)
        for name, value in changes.items():
            values = value if isinstance(value, list | tuple) else [value]
            fields = set_field(fields, name, *values)
        fields = set_field(fields, button, "1")
        return self.post(path, fields)


def _lower(headers):
    return {key.lower(): value for key, value in headers.items()}


def form_errors(html):
    """The admin's error messages on a page, as text, each after its field's name (empty
    when there are none)."""
    found = []
    for match in re.finditer(
        r'<(?:p|ul) class="(?:errornote|errorlist[^"]*)"[^>]*>(.*?)</(?:p|ul)>', html, re.S
    ):
        row = re.findall(r'class="[^"]*\bfield-([\w-]+)', html[: match.start()])
        text = " ".join(re.sub(r"<[^>]+>", " ", match.group(1)).split())
        found.append(f"{row[-1]}: {text}" if row and "errorlist" in match.group(0) else text)
    return " | ".join(found)
