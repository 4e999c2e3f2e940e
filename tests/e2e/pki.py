"""Certificates made in the test set-up with the `cryptography` package: a charging-station
CA, a server certificate for 127.0.0.1, and client certificates for charge points, as an
operator's PKI would issue them (OCPP security profile 3)."""

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

ORGANIZATION = "Example Charging"


@dataclass
class Issued:
    cert: Path
    key: Path


def _name(common_name: str, organization: str = ORGANIZATION) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name),
                      x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization)])


def _write(directory: Path, stem: str, cert: x509.Certificate, key) -> Issued:
    cert_path, key_path = directory / f"{stem}.pem", directory / f"{stem}.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return Issued(cert_path, key_path)


class Authority:
    """A CA that issues server and client certificates into `directory`."""

    def __init__(self, directory: Path, name: str):
        self.directory = directory
        self.key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        self.name = _name(name)
        self.cert = (x509.CertificateBuilder()
                     .subject_name(self.name).issuer_name(self.name)
                     .public_key(self.key.public_key())
                     .serial_number(x509.random_serial_number())
                     .not_valid_before(now - datetime.timedelta(minutes=5))
                     .not_valid_after(now + datetime.timedelta(days=30))
                     .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                     .add_extension(x509.KeyUsage(
                         digital_signature=True, key_cert_sign=True, crl_sign=True,
                         content_commitment=False, key_encipherment=False, data_encipherment=False,
                         key_agreement=False, encipher_only=False, decipher_only=False),
                         critical=True)
                     .sign(self.key, hashes.SHA256()))
        self.issued = _write(directory, name.replace(" ", "-"), self.cert, self.key)

    def cert_pem(self) -> str:
        return self.issued.cert.read_text()

    def _issue(self, stem: str, subject: x509.Name, usage, san=None) -> Issued:
        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.timezone.utc)
        builder = (x509.CertificateBuilder()
                   .subject_name(subject).issuer_name(self.name)
                   .public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=7))
                   .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                   .add_extension(x509.ExtendedKeyUsage([usage]), critical=False))
        if san is not None:
            builder = builder.add_extension(x509.SubjectAlternativeName(san), critical=False)
        return _write(self.directory, stem, builder.sign(self.key, hashes.SHA256()), key)

    def server(self) -> Issued:
        return self._issue("server", _name("127.0.0.1"), ExtendedKeyUsageOID.SERVER_AUTH,
                           san=[x509.IPAddress(ipaddress.ip_address("127.0.0.1")),
                                x509.DNSName("localhost")])

    def client(self, charge_point_id: str, organization: str = ORGANIZATION) -> Issued:
        stem = f"client-{charge_point_id}-{abs(hash((self.name, organization))) % 10_000}"
        return self._issue(stem, _name(charge_point_id, organization),
                           ExtendedKeyUsageOID.CLIENT_AUTH)


def signing_request(common_name: str, organization: str = ORGANIZATION, curve=None) -> str:
    """A PEM PKCS#10 request for a new station key, as a station makes one for SignCertificate."""
    return signing_request_and_key(common_name, organization, curve)[0]


def signing_request_and_key(common_name: str, organization: str = ORGANIZATION, curve=None):
    """The request and the new key (PEM), for a station that will connect with the result."""
    key = ec.generate_private_key(curve or ec.SECP256R1())
    request = (x509.CertificateSigningRequestBuilder()
               .subject_name(_name(common_name, organization))
               .sign(key, hashes.SHA384() if isinstance(curve, ec.SECP384R1) else hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return request.public_bytes(serialization.Encoding.PEM).decode(), key_pem


def chain_facts(chain_pem: str) -> list[x509.Certificate]:
    return x509.load_pem_x509_certificates(chain_pem.encode())
