"""A real IMAP server for the tests: Debian's Dovecot, started on a free loopback port with a
configuration of its own in a temporary folder (no system configuration, no system service).

Mail is delivered straight into the user's Maildir (fast, for thousands of mails) or with IMAP
APPEND. Without Dovecot the tests that need it are skipped with a clear message, and fail under CI.
Install it with ``apt-get install dovecot-imapd`` (``make services`` does).
"""

from __future__ import annotations

import datetime
import grp
import imaplib
import ipaddress
import itertools
import os
import pwd
import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

IN_CI = os.environ.get("CI") == "true"
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
USER = "support"
PASSWORD = "kata-sandi-rahasia-42"
START_SECONDS = 20.0
_deliveries = itertools.count(1)


def dovecot_available() -> bool:
    return os.path.exists(DOVECOT) and os.access(DOVECOT, os.X_OK)


def require_dovecot() -> None:
    if dovecot_available():
        return
    message = "Dovecot is not installed (apt-get install dovecot-imapd, or `make services`)"
    if IN_CI:
        pytest.fail(f"{message}; under CI the IMAP tests are required")
    pytest.skip(message)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 and localhost: (certificate file, key file). The
    certificate file is also the CA file a client trusts."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=7))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return cert_file, key_file


class Dovecot:
    """One Dovecot instance with one mailbox (``USER`` / ``PASSWORD``), Maildir++ layout."""

    def __init__(self, *, tls: bool = False) -> None:
        self.tls = tls
        # Not pytest's tmp_path: its parent is private to the test user, and as root Dovecot reads
        # the mail as an unprivileged user (it refuses to give mail access to root).
        self.root = Path(tempfile.mkdtemp(prefix="tanggap-dovecot-"))
        self.root.chmod(0o755)
        self.port = free_port()
        self.ssl_port = free_port() if tls else 0
        self.cert_file: Path | None = None
        if os.geteuid() == 0:
            mail_user, login_user, internal_user = "nobody", "dovenull", "dovecot"
        else:
            mail_user = login_user = internal_user = pwd.getpwuid(os.getuid()).pw_name
        entry = pwd.getpwnam(mail_user)
        self.uid, self.gid = entry.pw_uid, entry.pw_gid
        self.home = self.root / "home" / USER
        self.maildir = self.home / "Maildir"
        for sub in ("cur", "new", "tmp"):
            (self.maildir / sub).mkdir(parents=True)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        (self.root / "run").mkdir()
        ssl_lines = "ssl = no\n"
        if tls:
            self.cert_file, key_file = make_certificate(self.root)
            ssl_lines = f"ssl = yes\nssl_cert = <{self.cert_file}\nssl_key = <{key_file}\n"
        group = grp.getgrgid(pwd.getpwnam(internal_user).pw_gid).gr_name
        self.config = self.root / "dovecot.conf"
        self.config.write_text(
            f"""
protocols = imap
listen = 127.0.0.1
base_dir = {self.root}/run
state_dir = {self.root}/run/state
instance_name = tanggap-test-{self.port}
default_internal_user = {internal_user}
default_internal_group = {group}
default_login_user = {login_user}
log_path = {self.root}/dovecot.log
first_valid_uid = {self.uid}
first_valid_gid = {self.gid}
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
login_trusted_networks = 127.0.0.0/8
{ssl_lines}
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={self.uid} gid={self.gid} home={self.root}/home/%u
}}
mail_location = maildir:~/Maildir
protocol imap {{
  mail_max_userip_connections = 50
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {self.ssl_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""
        )
        self._chown(self.root / "home")
        self.process: subprocess.Popen[bytes] | None = None

    def _chown(self, path: Path) -> None:
        if os.geteuid() != 0:
            return
        for folder, dirs, files in os.walk(path):
            os.chown(folder, self.uid, self.gid)
            for name in dirs + files:
                os.chown(os.path.join(folder, name), self.uid, self.gid)

    # ------------------------------------------------------------ life

    def start(self) -> Dovecot:
        self.process = subprocess.Popen(  # noqa: S603
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "stderr.log").open("wb"),
        )
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"dovecot stopped at start: {self.log()}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as sock:
                    if sock.recv(100).startswith(b"* OK"):
                        return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"dovecot did not answer within {START_SECONDS} s: {self.log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)

    def log(self) -> str:
        text = ""
        for name in ("stderr.log", "dovecot.log"):
            path = self.root / name
            if path.exists():
                text += path.read_text(errors="replace")[-4000:]
        return text

    # ------------------------------------------------------------ mail

    def _folder_dir(self, folder: str) -> Path:
        if folder.upper() == "INBOX":
            return self.maildir
        path = self.maildir / f".{folder}"
        if not path.exists():
            for sub in ("cur", "new", "tmp"):
                (path / sub).mkdir(parents=True)
            (path / "maildirfolder").touch()
            self._chown(path)
            with (self.maildir / "subscriptions").open("a") as fh:
                fh.write(f"{folder}\n")
            self._chown(self.maildir / "subscriptions")
        return path

    def create_folder(self, folder: str) -> None:
        self._folder_dir(folder)

    def deliver(self, raw: bytes, folder: str = "INBOX") -> None:
        """Put one mail into ``folder`` as a local delivery agent would (Maildir ``new``)."""
        target = self._folder_dir(folder)
        name = f"{time.time_ns()}.M{next(_deliveries)}P{os.getpid()}.tanggap-test"
        tmp = target / "tmp" / name
        tmp.write_bytes(raw)
        if os.geteuid() == 0:
            os.chown(tmp, self.uid, self.gid)
        os.rename(tmp, target / "new" / name)

    def client(self) -> imaplib.IMAP4:
        """A logged-in client (plain IMAP on loopback) for setting up and checking the mailbox."""
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(USER, PASSWORD)
        return client

    def append(self, raw: bytes, folder: str = "INBOX") -> None:
        client = self.client()
        try:
            typ, data = client.append(folder, None, None, raw)
            assert typ == "OK", data
        finally:
            client.logout()

    def uids(self, folder: str = "INBOX", criteria: str = "ALL") -> list[int]:
        client = self.client()
        try:
            client.select(folder)
            typ, data = client.uid("SEARCH", criteria)
            assert typ == "OK", data
            return [int(uid) for uid in (data[0] or b"").split()]
        finally:
            client.logout()

    def count(self, folder: str = "INBOX", criteria: str = "ALL") -> int:
        return len(self.uids(folder, criteria))

    def uidvalidity(self, folder: str = "INBOX") -> int:
        client = self.client()
        try:
            client.select(folder)
            _, data = client.response("UIDVALIDITY")
            return int(data[0])
        finally:
            client.logout()

    def renumber(self, folder: str = "INBOX") -> int:
        """Make the server give ``folder`` a new UIDVALIDITY, as after a rebuilt index: the mail stays,
        its UIDs start again from 1. Returns the new UIDVALIDITY."""
        target = self._folder_dir(folder)
        before = self.uidvalidity(folder)
        for _attempt in range(5):
            patterns = ("dovecot-uidlist", "dovecot.index*", "dovecot.list.index*", "dovecot-uidvalidity*")
            for path in {
                path for pattern in patterns for path in (*target.glob(pattern), *self.maildir.glob(pattern))
            }:
                path.unlink(missing_ok=True)
            after = self.uidvalidity(folder)
            if after != before:
                return after
            time.sleep(1)  # Dovecot derives a new UIDVALIDITY from the clock
        raise RuntimeError("dovecot kept the folder's UIDVALIDITY")

    def ssl_context(self) -> ssl.SSLContext:
        assert self.cert_file is not None
        return ssl.create_default_context(cafile=str(self.cert_file))


def _running(tls: bool) -> Iterator[Dovecot]:
    require_dovecot()
    server = Dovecot(tls=tls)
    try:
        server.start()
    except Exception:
        server.stop()
        raise
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def dovecot() -> Iterator[Dovecot]:
    """A fresh Dovecot with an empty mailbox, plain IMAP on loopback."""
    yield from _running(tls=False)


@pytest.fixture
def dovecot_tls() -> Iterator[Dovecot]:
    """A fresh Dovecot with a self-signed certificate: IMAPS on ``ssl_port``, STARTTLS on ``port``."""
    yield from _running(tls=True)
